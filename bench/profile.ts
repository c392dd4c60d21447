import autocannon from 'autocannon';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openBenchDatabase, productionEnv, requestStatements, seed, startServerProcess, type ServerProcess } from './lib';
import type { CapturedStatement } from './sql-counter';

/**
 * `npm run bench:profile -- [--servers=ours,apollo] [--seconds=10] [--docs=viewer,apiKeys,shortLinks] [--allocations]`:
 * each server alone on the machine (one at a time, compiled, in the bench's production
 * configuration), under the bench's load (10 connections, the keys rotating) with V8's CPU
 * profiler on for the measured window only (started and stopped over IPC through the inspector,
 * after a warm-up), then its busy CPU per request by owner: keygate's own code by top folder of
 * src/, the packages that matter (@apollo/server, graphql, graphql-jit, fastify, pg, typeorm,
 * ioredis, pino), Node's async_hooks / promise hooks and domain, other Node internals, garbage
 * collection, other packages. Self time: a function's own samples; a native function without a
 * script (a hash, a socket write) counts for the nearest JavaScript caller's owner. One table per
 * document; the .cpuprofile files stay behind for Chrome DevTools, with each run's hottest functions.
 * With `--allocations`, a second window of the same load runs under V8's sampling heap profiler
 * (collected objects included) and a second table gives the KB each request allocates, by the
 * same owners: what the garbage collector's share above is made of (.heapprofile files beside).
 */
const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const SERVERS = arg('servers', 'ours,apollo').split(',');
const SECONDS = Number(arg('seconds', '10'));
const WARMUP = Number(arg('warmup', '3'));
const INTERVAL_US = Number(arg('interval', '250'));
const ALLOCATIONS = process.argv.includes('--allocations');
const DOCS: Record<string, string> = {
  viewer: '{ viewer { kind } }',
  apiKeys: '{ apiKeys(first: 50) { nodes { id name owner { email } createdBy { kind name } requestCount } } }',
  shortLinks: '{ shortLinks(first: 50) { nodes { id slug domain { hostname } clicks } } }',
};
const DOC_NAMES = arg('docs', Object.keys(DOCS).join(',')).split(',');
const NAMES: Record<string, string> = {
  ours: 'keygate',
  noauth: 'keygate, no-auth twin',
  apollo: 'plain Apollo + shield',
  yoga: 'Yoga + generic-auth',
  'yoga-jit': 'Yoga + generic-auth + jit',
  mercurius: 'Mercurius + auth',
  handbuilt: 'hand-built',
};

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface HeapProfileNode {
  callFrame: { functionName: string; url: string };
  selfSize: number;
  children?: HeapProfileNode[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const PACKAGES: [RegExp, string][] = [
  [/^@apollo\//, '@apollo/server'],
  [/^graphql$/, 'graphql'],
  [/^graphql-jit$/, 'graphql-jit'],
  [
    /^(fastify|@fastify\/.*|find-my-way|avvio|light-my-request|fast-json-stringify|secure-json-parse|fast-querystring|toad-cache|@as-integrations\/fastify|process-warning|abstract-logging|fastify-plugin|ret|safe-regex2)$/,
    'fastify',
  ],
  [/^(pg|pg-pool|pg-protocol|pg-types|pg-int8|pgpass|postgres-.*)$/, 'pg'],
  [/^typeorm$/, 'typeorm'],
  [/^type-graphql$/, 'type-graphql'],
  [/^(graphql-shield|graphql-middleware)$/, 'graphql-shield (+ graphql-middleware)'],
  [/^(ioredis|@ioredis\/.*|redis-errors|redis-parser|standard-as-callback|cluster-key-slot|denque)$/, 'ioredis'],
  [
    /^(pino|pino-.*|sonic-boom|thread-stream|on-exit-leak-free|quick-format-unescaped|fast-redact|atomic-sleep|safe-stable-stringify)$/,
    'pino',
  ],
];

/** The owner of a frame with a script, or null for one without (a native function: its caller's owner). */
function ownerOf(url: string, fn: string): string | null {
  if (!url) {
    if (fn === '(garbage collector)') return 'garbage collection';
    if (fn === '(program)') return '(program: V8 and native code outside JavaScript)';
    if (fn === '(idle)') return '(idle)';
    return null;
  }
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    const pkg = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
    return PACKAGES.find(([re]) => re.test(pkg))?.[1] ?? `other node_modules`;
  }
  if (/^node:(internal\/)?async_hooks|^node:internal\/(async_local_storage|promise_hooks)/.test(url))
    return 'node: async_hooks / promise hooks';
  if (url === 'node:domain' || url.startsWith('node:internal/domain')) return 'node: domain';
  if (url.startsWith('node:')) return 'node: other internals (http, net, streams, timers)';
  const src = url.match(/\/(?:dist\/)?src\/(?:([^/]+)\/)?[^/]+$/) ?? url.match(/\/(?:dist\/)?src\/([^/]+)\//);
  if (src) return src[1] ? `keygate src/${src[1]}` : 'keygate src (entry files)';
  if (url.includes('/bench/stacks/')) return "the peer's own code (bench/stacks)";
  if (url.includes('/bench/')) return 'bench harness (IPC, SQL counter)';
  return 'other';
}

/** Bytes allocated per owner in a sampling heap profile; a native frame's bytes go to its nearest scripted caller's owner. */
function allocatedByOwner(head: HeapProfileNode): Map<string, number> {
  const owners = new Map<string, number>();
  const visit = (node: HeapProfileNode, inherited: string) => {
    const own = ownerOf(node.callFrame.url, node.callFrame.functionName);
    const owner = own === '(program: V8 and native code outside JavaScript)' || own === '(idle)' || own === null ? inherited : own;
    if (node.selfSize) owners.set(owner, (owners.get(owner) ?? 0) + node.selfSize);
    for (const child of node.children ?? []) visit(child, owner);
  };
  visit(head, 'other');
  return owners;
}

/** Busy time per owner (µs) in a profile; the nearest scripted caller's owner for native frames. */
function byOwner(profile: CpuProfile): { owners: Map<string, number>; idle: number; functions: Map<string, number> } {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const ownerCache = new Map<number, string>();
  const owner = (id: number): string => {
    const cached = ownerCache.get(id);
    if (cached) return cached;
    let at: number | undefined = id;
    let found: string | null = null;
    let profiler = false;
    for (; at !== undefined; at = parent.get(at)) {
      const n = nodes.get(at)!;
      found ??= ownerOf(n.callFrame.url, n.callFrame.functionName);
      // The profiler's own start and stop (an IPC message into node:inspector) are not the server's work.
      if (n.callFrame.url === 'node:inspector') profiler = true;
    }
    const result = profiler ? '(profiler)' : (found ?? 'other');
    ownerCache.set(id, result);
    return result;
  };
  const owners = new Map<string, number>();
  const functions = new Map<string, number>();
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const o = owner(id);
    if (o === '(profiler)') return;
    if (o === '(idle)') return void (idle += dt);
    owners.set(o, (owners.get(o) ?? 0) + dt);
    const f = nodes.get(id)!.callFrame;
    const key = `${o} · ${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    functions.set(key, (functions.get(key) ?? 0) + dt);
  });
  return { owners, idle, functions };
}

function load(port: number, query: string, keys: string[], seconds: number): Promise<autocannon.Result> {
  const body = JSON.stringify({ query });
  return new Promise((resolve, reject) =>
    autocannon(
      {
        url: `http://127.0.0.1:${port}/graphql`,
        connections: 10,
        duration: seconds,
        requests: [
          {
            method: 'POST',
            body,
            setupRequest: (req) => ({
              ...req,
              headers: { 'content-type': 'application/json', 'x-api-key': keys[Math.floor(Date.now() / 25) % keys.length] },
            }),
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    ),
  );
}

/** User + system CPU time of a process so far, in µs, all its threads (/proc/<pid>/stat; clock ticks of 10 ms). */
function cpuUs(pid: number | undefined): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

interface Measured {
  /** Process CPU time per request as the OS counts it (all threads), for comparison with the sampled busy time. */
  osCpuUs: number;
  rps: number;
  requests: number;
  non2xx: number;
  owners: Map<string, number>;
  busyUs: number;
  idleUs: number;
  file: string;
  /** Bytes allocated per owner over `allocRequests` requests (--allocations). */
  allocated?: Map<string, number>;
  allocRequests?: number;
}

async function main() {
  const db = await openBenchDatabase();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keygate-profile-'));
  const results = new Map<string, Map<string, Measured>>(DOC_NAMES.map((d) => [d, new Map()]));
  try {
    const seeded = await seed(db.url, 1000, 10000);
    const env = productionEnv(db.url);
    let statements: string | undefined;
    for (const name of SERVERS) {
      if (name !== 'ours' && name !== 'noauth' && !statements) {
        // The peers send keygate's statements: capture them from a keygate started for that alone.
        const ours = await startServerProcess('ours', env, path.join(dir, 'capture.log'));
        const captured: Record<string, CapturedStatement[]> = {};
        for (const doc of ['apiKeys', 'shortLinks']) {
          await post(ours.port, DOCS[doc], seeded.key);
          await ours.call('capture');
          await post(ours.port, DOCS[doc], seeded.key);
          captured[doc] = requestStatements((await ours.call<{ statements: CapturedStatement[] }>('captured')).statements);
        }
        await ours.stop();
        statements = JSON.stringify({ orgId: seeded.orgId, ...captured });
      }
      const extra: Record<string, string> =
        name === 'ours' ? {} : name === 'noauth' ? { BENCH_KEY: seeded.key } : { BENCH_STATEMENTS: statements! };
      if (name === 'handbuilt') throw new Error('the hand-built limit is not profiled here (it has no GraphQL to look into)');
      const server: ServerProcess = await startServerProcess(name, { ...env, ...extra }, path.join(dir, `${name}.log`));
      try {
        process.stderr.write(`${name}: warming the key cache…\n`);
        for (let i = 0; i < seeded.keys.length; i += 10) {
          await Promise.all(seeded.keys.slice(i, i + 10).map((k) => post(server.port, DOCS.viewer, k)));
        }
        for (const doc of DOC_NAMES) {
          await load(server.port, DOCS[doc], seeded.keys, WARMUP);
          const file = path.join(dir, `${name}-${doc}.cpuprofile`);
          await server.call('profile-start', String(INTERVAL_US));
          const cpuBefore = cpuUs(server.child.pid);
          const result = await load(server.port, DOCS[doc], seeded.keys, SECONDS);
          const cpuAfter = cpuUs(server.child.pid);
          await server.call('profile-stop', file);
          const { owners, idle, functions } = byOwner(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
          const busyUs = [...owners.values()].reduce((a, b) => a + b, 0);
          results.get(doc)!.set(name, {
            osCpuUs: (cpuAfter - cpuBefore) / Math.max(1, result.requests.total),
            rps: result.requests.total / SECONDS,
            requests: result.requests.total,
            non2xx: result.non2xx,
            owners,
            busyUs,
            idleUs: idle,
            file,
          });
          const hot = [...functions]
            .sort((a, b) => b[1] - a[1])
            .slice(0, 40)
            .map(([k, v]) => `${(v / Math.max(1, result.requests.total)).toFixed(2).padStart(8)} µs/req  ${k}`);
          writeFileSync(file.replace(/\.cpuprofile$/, '.hot.txt'), hot.join('\n') + '\n');
          process.stderr.write(`${name} ${doc}: ${Math.round(result.requests.total / SECONDS)} req/s, ${result.non2xx} non-2xx\n`);
          if (ALLOCATIONS) {
            const heapFile = path.join(dir, `${name}-${doc}.heapprofile`);
            await server.call('alloc-start');
            const sampled = await load(server.port, DOCS[doc], seeded.keys, SECONDS);
            await server.call('alloc-stop', heapFile);
            const measured = results.get(doc)!.get(name)!;
            measured.allocated = allocatedByOwner((JSON.parse(readFileSync(heapFile, 'utf8')) as { head: HeapProfileNode }).head);
            measured.allocRequests = sampled.requests.total;
          }
        }
      } finally {
        await server.stop();
      }
    }
    const report = DOC_NAMES.flatMap((doc) => [
      table(doc, results.get(doc)!),
      ...(ALLOCATIONS ? [allocationTable(doc, results.get(doc)!)] : []),
    ]).join('\n\n');
    writeFileSync(path.join(dir, 'PROFILE.md'), report + '\n');
    console.log(`\n${report}\n\nprofiles, hottest functions (*.hot.txt) and this report (PROFILE.md) in ${dir}`);
  } finally {
    await db.cleanup();
  }
}

/** KB allocated per request by owner, one column per server (--allocations). */
function allocationTable(doc: string, measured: Map<string, Measured>): string {
  const servers = [...measured.keys()];
  const perReq = (m: Measured, bytes: number) => (bytes / 1024 / Math.max(1, m.allocRequests ?? 0)).toFixed(1);
  const owners = new Map<string, number>();
  for (const m of measured.values())
    for (const [o, b] of m.allocated ?? []) owners.set(o, Math.max(owners.get(o) ?? 0, b / (m.allocRequests ?? 1)));
  const rows = [...owners].sort((a, b) => b[1] - a[1]).map(([o]) => o);
  const total = (m: Measured) => [...(m.allocated ?? new Map<string, number>()).values()].reduce((a, b) => a + b, 0);
  return [
    `### \`${DOCS[doc]}\`: KB allocated per request, by owner (sampling heap profiler, collected objects included, ${SECONDS} s)`,
    '',
    `| owner | ${servers.map((s) => NAMES[s] ?? s).join(' | ')} |`,
    `|---|${servers.map(() => '---:').join('|')}|`,
    ...rows.map((o) => `| ${o} | ${servers.map((s) => perReq(measured.get(s)!, measured.get(s)!.allocated?.get(o) ?? 0)).join(' | ')} |`),
    `| **allocated per request** | ${servers.map((s) => `**${perReq(measured.get(s)!, total(measured.get(s)!))}**`).join(' | ')} |`,
  ].join('\n');
}

function table(doc: string, measured: Map<string, Measured>): string {
  const servers = [...measured.keys()];
  const owners = new Map<string, number>();
  for (const m of measured.values()) for (const [o, us] of m.owners) owners.set(o, Math.max(owners.get(o) ?? 0, us / m.requests));
  const rows = [...owners].sort((a, b) => b[1] - a[1]).map(([o]) => o);
  const perReq = (m: Measured, us: number) => (us / Math.max(1, m.requests)).toFixed(1);
  return [
    `### \`${DOCS[doc]}\`: busy CPU µs per request, by owner (profiled alone, ${SECONDS} s, 10 connections)`,
    '',
    `Main-thread samples every ${INTERVAL_US} µs, self time; ${os.loadavg()[0].toFixed(1)} load average (1 min) at the end: ` +
      'on a busy machine a sample also counts the time the thread waited for a core.',
    '',
    `| owner | ${servers.map((s) => NAMES[s] ?? s).join(' | ')} |`,
    `|---|${servers.map(() => '---:').join('|')}|`,
    ...rows.map((o) => `| ${o} | ${servers.map((s) => perReq(measured.get(s)!, measured.get(s)!.owners.get(o) ?? 0)).join(' | ')} |`),
    `| **busy CPU per request** | ${servers.map((s) => `**${perReq(measured.get(s)!, measured.get(s)!.busyUs)}**`).join(' | ')} |`,
    `| CPU time per request as the OS counts it (all threads) | ${servers.map((s) => measured.get(s)!.osCpuUs.toFixed(1)).join(' | ')} |`,
    `| req/s (non-2xx) | ${servers.map((s) => `${Math.round(measured.get(s)!.rps)} (${measured.get(s)!.non2xx})`).join(' | ')} |`,
    `| main thread idle | ${servers
      .map((s) => {
        const m = measured.get(s)!;
        return `${Math.round((100 * m.idleUs) / (m.idleUs + m.busyUs))} %`;
      })
      .join(' | ')} |`,
  ].join('\n');
}

async function post(port: number, query: string, key: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify({ query }),
  });
  return res.text();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
