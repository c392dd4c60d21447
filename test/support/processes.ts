import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../src/db/embedded-postgres';
import { TEST_ENCRYPTION_KEY, TEST_SESSION_SECRET } from './harness';

export const ROOT = path.resolve(__dirname, '..', '..');

/**
 * Runs a TypeScript entry point the way the npm scripts do. `detached` makes it the leader of a
 * process group of its own, as a shell does for a foreground job, so a test can signal the
 * whole group the way Ctrl-C does: `process.kill(-child.pid, 'SIGINT')`.
 */
export function spawnTs(
  entry: string,
  args: string[],
  env: Record<string, string | undefined>,
  options: { detached?: boolean } = {},
): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--require', 'ts-node/register/transpile-only', entry, ...args], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: undefined, ...env } as NodeJS.ProcessEnv,
    detached: options.detached ?? false,
  });
}

/** `npm start` itself, as a person runs it (npm, then sh, then node). */
export function spawnNpmStart(
  env: Record<string, string | undefined>,
  options: { detached?: boolean } = {},
): ChildProcessWithoutNullStreams {
  return spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: undefined, ...env } as NodeJS.ProcessEnv,
    detached: options.detached ?? false,
  });
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * How long a child process may take to start or finish before a test calls it hung. Starting one
 * transpiles the app with ts-node: seconds on an idle machine, more than a minute on a loaded
 * 2-core one. A hang detector, not a speed assertion; process suites use it for Jest's timeout too.
 */
export const PROCESS_TIMEOUT_MS = 240_000;

export function finished(child: ChildProcessWithoutNullStreams, timeoutMs = PROCESS_TIMEOUT_MS): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export async function runTs(entry: string, args: string[], env: Record<string, string | undefined>): Promise<Finished> {
  return finished(spawnTs(entry, args, env));
}

/**
 * Resolves with everything printed so far (stdout and stderr, in arrival order) once the output
 * contains `text`. The server's banner is on stderr, its JSON logs on stdout.
 */
export function waitForOutput(child: ChildProcessWithoutNullStreams, text: string, timeoutMs = PROCESS_TIMEOUT_MS): Promise<string> {
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${text}" within ${timeoutMs} ms\noutput: ${out}`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += d;
      if (out.includes(text)) {
        clearTimeout(timer);
        resolve(out);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code} before "${text}"\noutput: ${out}`));
    });
  });
}

export interface ServerProcess {
  port: number;
  url: string;
  child: ChildProcessWithoutNullStreams;
  /** Settles when the process exits. */
  exit: Promise<Finished>;
}

/**
 * `npm start` as a child process on the test's database (already migrated and bootstrapped),
 * ready when it prints its GraphiQL URL. `env` adds or overrides settings. With no database URL
 * it starts the embedded PostgreSQL under `dataDir`.
 */
export async function startServerProcess(
  databaseUrl: string | undefined,
  dataDir: string,
  env: Record<string, string> = {},
  options: { detached?: boolean; viaNpm?: boolean } = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const spawnServer = (e: Record<string, string | undefined>) =>
    options.viaNpm ? spawnNpmStart(e, options) : spawnTs('src/main.ts', [], e, options);
  const child = spawnServer({
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    SESSION_SECRET: TEST_SESSION_SECRET,
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    MIGRATE_ON_START: 'false',
    BOOTSTRAP_ON_START: 'false',
    RATE_LIMITS_ENABLED: 'false',
    // No Redis unless a test asks (with a prefix of its own): with REDIS_URL set, usage and clicks
    // are journalled there, and two processes on one prefix but different databases would drain
    // each other's journal.
    REDIS_URL: '',
    ...env,
  });
  const exit = finished(child, 300_000);
  await waitForOutput(child, '/graphiql');
  return { port, url: `http://127.0.0.1:${port}/graphql`, child, exit };
}
