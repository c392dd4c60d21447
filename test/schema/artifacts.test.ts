import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { printConsoleScopes, printKeygateSchema } from '../../src/graphql/schema';
import { buildSchema } from '../../src/app';
import { printConsoleEvents } from '../../src/core/audit-catalog';
import { KEYGATE } from '../../src/modules';

const root = path.resolve(__dirname, '..', '..');

describe('checked-in artifacts are current', () => {
  it('schema/schema.graphql is the SDL the code builds (run `npm run schema:emit` after changing types)', async () => {
    const { schema } = await buildSchema();
    const onDisk = readFileSync(path.join(root, 'schema', 'schema.graphql'), 'utf8');
    expect(onDisk).toBe(printKeygateSchema(schema));
  });

  it('console/src/generated/scopes.ts is the schema’s scopes (run `npm run schema:emit`)', async () => {
    const built = await buildSchema();
    const onDisk = readFileSync(path.join(root, 'console', 'src', 'generated', 'scopes.ts'), 'utf8');
    expect(onDisk).toBe(printConsoleScopes(built));
    expect(onDisk).toContain("| 'shortLinks:create'");
  });

  it('console/src/generated/events.ts is the audit catalog (run `npm run schema:emit`)', () => {
    const onDisk = readFileSync(path.join(root, 'console', 'src', 'generated', 'events.ts'), 'utf8');
    expect(onDisk).toBe(printConsoleEvents(KEYGATE.events));
    expect(onDisk).toContain('"type": "apiKey.revoked",\n    "needs": "apiKeys:read"');
    expect(onDisk).toContain('"action": "API_KEY_REVOKED"');
  });

  it('test/generated/graphql.ts matches codegen.yml’s output (run `npm run codegen`)', async () => {
    // --check is codegen's dry run: non-zero exit when a generated file would change.
    const bin = path.join(root, 'node_modules', '.bin', 'graphql-codegen');
    const run = promisify(execFile)(bin, ['--config', 'codegen.yml', '--check'], { cwd: root });
    await expect(run).resolves.toBeDefined();
  });
});
