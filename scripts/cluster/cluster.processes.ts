import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, openSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');

/** A hang detector for every wait of the scenario, never a pace: a wait ends on its event. */
export const HANG_MS = 120_000;

/** Resolves when `check` is true, polling a state the scenario cannot subscribe to. */
export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = HANG_MS): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * One keygate process running the compiled build (`node dist/src/main.js`, as `npm start` does),
 * its JSON log appended to `logFile`. Ready when it prints its banner (after listen).
 */
export class KeygateNode {
  child: ChildProcess | null = null;
  exited: Promise<number | null> = Promise.resolve(null);

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly env: Record<string, string>,
    readonly logFile: string,
  ) {}

  async start(): Promise<void> {
    const fd = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'src', 'main.js')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...this.env, PORT: String(this.port) },
      stdio: ['ignore', fd, 'pipe'],
    });
    closeSync(fd);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
    let banner = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} did not start within ${HANG_MS} ms:\n${banner}`)), HANG_MS);
      child.stderr!.on('data', (d: Buffer) => {
        banner += d;
        if (banner.includes('keygate is listening')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited ${code} while starting:\n${banner}`));
      });
    });
  }

  /** SIGTERM, then the exit code (0: drained and flushed). */
  async stop(): Promise<number | null> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }

  kill9(): Promise<number | null> {
    this.child?.kill('SIGKILL');
    return this.exited;
  }
}

export interface Backend {
  name: string;
  port: number;
}

/**
 * HAProxy in front of the nodes, the way docs/operations.md recommends: round robin, health
 * check on /readyz, a failed connection retried on another node, a cap on each node's
 * connections (so a killed node can fail at most that many requests). Its runtime API answers
 * on a unix socket, where the scenario reads which nodes the balancer counts as UP.
 */
export class HaProxy {
  private child: ChildProcess | null = null;
  /** From HAProxy's log, by x-request-id: the node it went to, the status sent, how the session ended. */
  readonly log = new Map<string, { node: string; status: string; termination: string }>();
  readonly socket: string;
  readonly configFile: string;

  constructor(
    readonly port: number,
    readonly dir: string,
    readonly backends: Backend[],
    readonly maxconnPerNode: number,
  ) {
    this.socket = path.join(dir, 'haproxy.sock');
    this.configFile = path.join(dir, 'haproxy.cfg');
  }

  config(): string {
    return `global
  maxconn 4096
  stats socket ${this.socket} mode 600 level admin
  log stdout format raw local0 info

defaults
  mode http
  log global
  # One line per request: its x-request-id, the node, the status sent (-1: none) and how it ended.
  log-format "%[capture.req.hdr(0)] %s %ST %tsc"
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  timeout http-keep-alive 5s
  timeout queue 30s
  timeout check 2s
  # A connection refused (a node gone) is tried again on another node: nothing was sent yet.
  retries 3
  retry-on conn-failure
  option redispatch 1
  # Idle server connections are reused only for a client's second request onwards (the default).
  http-reuse safe

frontend public
  bind 127.0.0.1:${this.port}
  option forwardfor
  http-request capture req.hdr(x-request-id) len 64
  default_backend keygate

backend keygate
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  # Down after 2 failed checks 100 ms apart; up again after 2 good ones.
  default-server check inter 100 fall 2 rise 2 maxconn ${this.maxconnPerNode}
  # Which node answered (or failed), for the scenario's per-node figures.
  http-after-response set-header x-keygate-node %s
${this.backends.map((b) => `  server ${b.name} 127.0.0.1:${b.port}`).join('\n')}
`;
  }

  async start(): Promise<void> {
    writeFileSync(this.configFile, this.config());
    const child = spawn('haproxy', ['-db', '-f', this.configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let partial = '';
    child.stdout!.on('data', (d: Buffer) => {
      const lines = (partial + d).split('\n');
      partial = lines.pop()!;
      appendFileSync(path.join(this.dir, 'haproxy.log'), lines.map((l) => `${l}\n`).join(''));
      for (const line of lines) {
        const [id, node, status, termination] = line.trim().split(' ');
        if (id && id !== '-') this.log.set(id, { node, status, termination });
      }
    });
    let out = '';
    child.stderr!.on('data', (d: Buffer) => (out += d));
    const failed = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`haproxy exited ${code}: ${out}`))));
    await Promise.race([
      until('the HAProxy runtime socket', () =>
        this.stat().then(
          () => true,
          () => false,
        ),
      ),
      failed,
    ]);
  }

  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    const child = this.child;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  /** A command on the runtime API; its whole answer. */
  command(line: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const conn = net.connect(this.socket);
      let out = '';
      conn.on('data', (d) => (out += d));
      conn.on('end', () => resolve(out));
      conn.on('error', reject);
      conn.write(`${line}\n`);
    });
  }

  /** Each server's row of `show stat` (status: UP, DOWN, "UP 1/2", …; scur: requests on it; idle: pooled connections). */
  async stat(): Promise<Map<string, { status: string; scur: number; idle: number }>> {
    const lines = (await this.command('show stat')).trim().split('\n');
    const header = lines[0].replace(/^# /, '').split(',');
    const col = (name: string) => header.indexOf(name);
    const rows = new Map<string, { status: string; scur: number; idle: number }>();
    for (const line of lines.slice(1)) {
      const cells = line.split(',');
      if (cells[col('pxname')] !== 'keygate' || ['FRONTEND', 'BACKEND'].includes(cells[col('svname')])) continue;
      const idle = Number(cells[col('idle_conn_cur')] || 0) + Number(cells[col('safe_conn_cur')] || 0);
      rows.set(cells[col('svname')], { status: cells[col('status')], scur: Number(cells[col('scur')]), idle });
    }
    return rows;
  }

  /** Waits until the balancer counts `node` as `state` (UP: taking traffic; DOWN: out). */
  async waitFor(node: string, state: 'UP' | 'DOWN'): Promise<void> {
    await until(`HAProxy to mark ${node} ${state}`, async () => (await this.stat()).get(node)?.status === state);
  }
}
