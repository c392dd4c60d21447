import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { finished, ROOT } from '../support/processes';

/**
 * src/kernel/heap-tuning.ts switches V8's allocation-site pretenuring off. Proved on V8 itself, in
 * a child process with V8's test natives: objects from one site that all survive young-generation
 * collections, with the young generation at its largest (1 MB here, so at once), make V8 allocate
 * that site's next object in old space — unless the module was loaded first.
 */
const PROBE = `
  if (process.env.LOAD_TUNING) require('./src/kernel/heap-tuning');
  function make(i) { return { at: i, tags: [i] }; }
  %PrepareFunctionForOptimization(make);
  const kept = [];
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 1000; i++) kept.push(make(i));
    gc({ type: 'minor' });
  }
  %OptimizeFunctionOnNextCall(make);
  const next = make(0);
  process.stdout.write(JSON.stringify({ young: %InYoungGeneration(next), kept: kept.length }));
`;

async function probe(loadTuning: boolean): Promise<{ young: boolean; kept: number }> {
  const child = spawn(
    process.execPath,
    [
      '--require',
      'ts-node/register/transpile-only',
      '--allow-natives-syntax',
      '--expose-gc',
      '--min-semi-space-size=1',
      '--max-semi-space-size=1',
      '-e',
      PROBE,
    ],
    { cwd: ROOT, env: { ...process.env, LOAD_TUNING: loadTuning ? '1' : '' } },
  );
  const { code, stdout, stderr } = await finished(child);
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  return JSON.parse(stdout) as { young: boolean; kept: number };
}

/**
 * Grows the young generation the way start-up does (objects that survive scavenges), lets them go,
 * then calls releaseStartupMemory (or not) and reports the young generation's committed size.
 */
const STARTUP = `
  const v8 = require('node:v8');
  const { releaseStartupMemory } = require('./src/kernel/heap-tuning');
  const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
  let kept = [];
  for (let i = 0; i < 300000; i++) kept.push({ i, name: 'module ' + i, tags: [i] });
  const grown = newSpace();
  kept = null;
  (process.env.RELEASE ? releaseStartupMemory() : Promise.resolve()).then(() => {
    process.stdout.write(JSON.stringify({ grown: grown >= 16 * 2 ** 20, released: newSpace() <= 2 * 2 ** 20 }));
  });
`;

async function startupProbe(release: boolean): Promise<{ grown: boolean; released: boolean }> {
  const child = spawn(process.execPath, ['--require', 'ts-node/register/transpile-only', '-e', STARTUP], {
    cwd: ROOT,
    env: { ...process.env, RELEASE: release ? '1' : '' },
  });
  const { code, stdout, stderr } = await finished(child);
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  return JSON.parse(stdout) as { grown: boolean; released: boolean };
}

describe('heap tuning', () => {
  it('without it V8 pretenures a site whose objects survive: the control that shows the probe can tell', async () => {
    expect(await probe(false)).toEqual({ young: false, kept: 20_000 });
  });

  it('with it the same site keeps allocating in the young generation', async () => {
    expect(await probe(true)).toEqual({ young: true, kept: 20_000 });
  });

  it('main.ts loads it before any other module', () => {
    const imports = readFileSync(path.join(ROOT, 'src', 'main.ts'), 'utf8').match(/^import .*$/gm) ?? [];
    expect(imports[0]).toMatch(/ from '\.\/kernel\/heap-tuning';$/);
  });

  it('gives back the young generation start-up grew (and without it V8 keeps it)', async () => {
    expect(await startupProbe(false)).toEqual({ grown: true, released: false });
    expect(await startupProbe(true)).toEqual({ grown: true, released: true });
  });
});
