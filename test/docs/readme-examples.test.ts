import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { marked, type Tokens } from 'marked';
import { listen } from '../support/browser';
import { TestApp } from '../support/harness';

/**
 * The README's curl examples, run verbatim with bash and curl against a running keygate (only the
 * address changes). An example with a placeholder (`<key id>`) is left out; every other one must
 * answer data and no error.
 */
const readme = readFileSync(path.resolve(__dirname, '..', '..', 'README.md'), 'utf8');
const commands = marked
  .lexer(readme)
  .filter((t): t is Tokens.Code => t.type === 'code' && t.lang === 'sh')
  .flatMap((block) => block.text.replace(/\\\n\s*/g, ' ').split('\n'))
  .map((line) => line.trim())
  .filter((line) => line.startsWith('curl ') && line.includes('/graphql') && !line.includes('<'));

let t: TestApp;
let origin: string;
beforeAll(async () => {
  t = await TestApp.create();
  origin = await listen(t);
});
afterAll(() => t?.close());

it('the README has GraphQL curl examples, the GET one among them', () => {
  expect(commands.length).toBeGreaterThanOrEqual(4);
  expect(commands.some((c) => c.startsWith('curl -sG '))).toBe(true);
});

it.each(commands.map((c) => [c]))('%s', async (command) => {
  const { stdout } = await promisify(execFile)('bash', ['-c', command.replaceAll('http://localhost:4000', origin)], {
    env: { ...process.env, KEY: t.rootKey },
  });
  const body = JSON.parse(stdout) as { data?: unknown; errors?: unknown };
  expect(body.errors).toBeUndefined();
  expect(body.data).toEqual(expect.any(Object));
});
