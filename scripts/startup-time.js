// Start-up time, compiled (dist/) against ts-node: process start → first `/healthz` 200, on the
// embedded PostgreSQL of a throwaway data directory made once beforehand (so no run pays for
// initdb, migrations or the first-start bootstrap). The two kinds alternate, to share the
// machine's noise. `node scripts/startup-time.js [runs]` (default 5 each; run `npm run build` first).
const { spawn } = require('node:child_process');
const { chmodSync, mkdtempSync, rmSync } = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { setTimeout: delay } = require('node:timers/promises');

const root = path.resolve(__dirname, '..');
const runs = Number(process.argv[2] ?? 5);
const KINDS = {
  compiled: ['dist/src/main.js'],
  'ts-node': ['--require', 'ts-node/register/transpile-only', 'src/main.ts'],
};

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function healthy(port) {
  try {
    return (await globalThis.fetch(`http://127.0.0.1:${port}/healthz`)).status === 200;
  } catch {
    return false;
  }
}

/** Milliseconds from spawn to the first /healthz 200 (polled every 10 ms), then SIGTERM and its exit. */
async function startOnce(kind, dataDir) {
  const port = await freePort();
  const startedAt = process.hrtime.bigint();
  const child = spawn(process.execPath, KINDS[kind], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: '', PORT: String(port), DATA_DIR: dataDir, NODE_ENV: 'development', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  let early = null;
  void exited.then((code) => (early = code));
  while (!(await healthy(port))) {
    if (early !== null) throw new Error(`${kind} exited ${early} before /healthz answered\n${stderr}`);
    await delay(10);
  }
  const ms = Number(process.hrtime.bigint() - startedAt) / 1e6;
  child.kill('SIGTERM');
  const code = await exited;
  if (code !== 0) throw new Error(`${kind} exited ${code} on SIGTERM\n${stderr}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'keygate-startup-'));
  chmodSync(dataDir, 0o755); // the postgres user (when run as root) must enter it
  try {
    await startOnce('compiled', dataDir); // initdb, migrations, bootstrap: not measured
    const times = { compiled: [], 'ts-node': [] };
    for (let i = 0; i < runs; i += 1) {
      for (const kind of Object.keys(KINDS)) times[kind].push(await startOnce(kind, dataDir));
    }
    for (const [kind, ms] of Object.entries(times)) {
      console.log(`${kind.padEnd(9)} median ${Math.round(median(ms))} ms  (runs: ${ms.map((m) => Math.round(m)).join(', ')})`);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
