import { fork } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import { productionEnv } from './lib';
import type { ScaleResults } from './scale';

/** Runs bench/scale.ts in its own process (production environment, `--expose-gc`). */
export function runScale(url: string, smoke: boolean, logDir: string): Promise<ScaleResults> {
  const fd = openSync(path.join(logDir, 'scale.log'), 'a');
  const child = fork(path.join(__dirname, 'scale.ts'), smoke ? ['--smoke'] : [], {
    execArgv: ['--expose-gc', '--require', 'ts-node/register/transpile-only'],
    // Only the explicit flush under test writes usage.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...productionEnv(url), USAGE_FLUSH_INTERVAL_MS: '60000' },
    stdio: ['ignore', fd, 'inherit', 'ipc'],
  });
  closeSync(fd);
  return new Promise((resolve, reject) => {
    child.on('message', (m: { results?: ScaleResults }) => m.results && resolve(m.results));
    child.once('exit', (code, signal) => reject(new Error(`bench scale exited (${signal ?? code}) before reporting`)));
  });
}
