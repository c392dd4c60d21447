import { fork } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import { productionEnv } from './lib';
import type { ScaleResults } from './scale';

/** Runs bench/scale.ts in its own process (production environment with rate limits off, `--expose-gc`). */
export function runScale(url: string, smoke: boolean, logDir: string): Promise<ScaleResults> {
  const fd = openSync(path.join(logDir, 'scale.log'), 'a');
  const child = fork(path.join(__dirname, 'scale.ts'), smoke ? ['--smoke'] : [], {
    execArgv: ['--expose-gc', '--require', 'ts-node/register/transpile-only'],
    // Only the explicit flush under test writes usage. Per-key rate limits are off: the flush is
    // watched by `viewer` requests sent back to back on one key, more than the 1,000 a minute of
    // the top plan, so with limits on the section failed with 429 on a quiet (fast) machine.
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...productionEnv(url),
      USAGE_FLUSH_INTERVAL_MS: '60000',
      RATE_LIMITS_ENABLED: 'false',
    },
    stdio: ['ignore', fd, 'inherit', 'ipc'],
  });
  closeSync(fd);
  return new Promise((resolve, reject) => {
    child.on('message', (m: { results?: ScaleResults }) => m.results && resolve(m.results));
    child.once('exit', (code, signal) => reject(new Error(`bench scale exited (${signal ?? code}) before reporting`)));
  });
}
