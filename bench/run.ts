import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import type { HandBuiltRoute } from './handbuilt';
import { keyFormat, openBenchDatabase, productionEnv, requestStatements, seed, startServerProcess, type ServerProcess } from './lib';
import { writeReport, type BenchResults, type RatioResult, type ScenarioResult } from './report';
import { runScale } from './scale-runner';
import type { CapturedStatement } from './sql-counter';
import { spread } from './stats';

/**
 * `npm run bench`: every server in its own process in the production configuration, driven by
 * autocannon from this one in interleaved rounds (every scenario once per round, the order
 * rotating), so that each ratio is taken between runs a few seconds apart and reported as the
 * median and IQR of its per-round values. Then the scale section. Prints the table and ratios;
 * `--write` also writes bench/results.json and bench/RESULTS.md (else a temp dir).
 * `--smoke` (CI): one round of ~1 s per scenario, a small scale section, never fails on a target.
 */
const argv = process.argv.slice(2);
const smoke = argv.includes('--smoke');
const write = argv.includes('--write');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (smoke ? 1 : 7));
const SECONDS = Number(process.env.BENCH_SECONDS ?? (smoke ? 1 : 2));
const WARMUP = Number(process.env.BENCH_WARMUP ?? (smoke ? 0 : 2));
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? (smoke ? 0 : 30));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const KEYS = 1_000;
const LINKS = 10_000;
/**
 * The load rotates over every key of the organization, one key per 25 ms slice (a 25 s cycle):
 * a key is used for at most two slices per minute on a server, so a server answering up to
 * 20,000 req/s stays under the ENTERPRISE limit (1,000/min per key, the highest there is) and a
 * 429 is a real failure. A busy key is also what the Redis-shared limits are built for.
 */
const SLICE_MS = 25;

const LIST_KEYS = '{ apiKeys(first: 50) { nodes { id name owner { email } createdBy { kind name } requestCount } } }';
const LIST_LINKS = '{ shortLinks(first: 50) { nodes { id slug domain { hostname } clicks } } }';
const VIEWER = '{ viewer { kind } }';

type ServerName =
  | 'ceiling'
  | 'ours'
  | 'ours-js'
  | 'baseline'
  | 'ours-redis'
  | 'noauth'
  | 'handbuilt'
  | 'apollo'
  | 'yoga'
  | 'yoga-jit'
  | 'mercurius'
  | 'badkeys';

/**
 * The peers: what a team would build instead of keygate, each its own process on the same
 * database, sending keygate's SQL (bench/stacks/*). In every group (viewer and each list), each
 * beside keygate and the hand-built limit.
 */
const PEERS = [
  { server: 'apollo', label: 'plain Apollo + graphql-shield' },
  { server: 'yoga', label: 'Yoga + generic-auth' },
  { server: 'yoga-jit', label: 'Yoga + generic-auth + jit (cached)' },
  { server: 'mercurius', label: 'Mercurius (jit) + mercurius-auth' },
] as const;

/** What each server is, for the memory table. */
const SERVER_LABELS: Record<ServerName, string> = {
  ceiling: 'ceiling: bare Fastify route',
  ours: 'keygate',
  'ours-js': 'keygate, GRAPHQL_EXECUTOR=graphql-js',
  baseline: 'keygate at BENCH_BASELINE_ROOT',
  'ours-redis': 'keygate, rate limits Redis',
  noauth: 'keygate, no-auth baseline',
  handbuilt: 'hand-built (Fastify + pg)',
  ...(Object.fromEntries(PEERS.map((p) => [p.server, p.label])) as Record<(typeof PEERS)[number]['server'], string>),
  badkeys: 'keygate, bad-key server',
};

interface Scenario {
  id: string;
  label: string;
  server: ServerName;
  query: string;
  key: 'pool' | 'malformed' | 'unknown' | 'none';
  /** Statuses that are the right answer (anything else is counted as unexpected). */
  expect: number[];
}

/**
 * `BENCH_BASELINE_ROOT=<another checkout>`: that checkout's keygate (its own bench/server.ts and
 * src, same database, same configuration) runs beside this one, so a change's cost or gain is one
 * interleaved run's ratio (`… ÷ baseline`), not two runs compared.
 */
const BASELINE_ROOT = process.env.BENCH_BASELINE_ROOT;

function scenarios(redis: boolean): Scenario[] {
  const list = (id: string, label: string, query: string, server: ServerName): Scenario => ({
    id,
    label,
    server,
    query,
    key: 'pool',
    expect: [200],
  });
  const lists = (name: 'apiKeys' | 'shortLinks', query: string) => [
    list(`${name}:ours`, `${name}(50) — keygate @requires`, query, 'ours'),
    ...(BASELINE_ROOT ? [list(`${name}:baseline`, `${name}(50) — keygate at BENCH_BASELINE_ROOT`, query, 'baseline')] : []),
    list(`${name}:ours-js`, `${name}(50) — keygate, GRAPHQL_EXECUTOR=graphql-js`, query, 'ours-js'),
    list(`${name}:handbuilt`, `${name}(50) — hand-built (Fastify + pg, same SQL)`, query, 'handbuilt'),
    ...PEERS.map((p) => list(`${name}:${p.server}`, `${name}(50) — ${p.label}`, query, p.server)),
  ];
  return [
    { id: 'ceiling', label: 'ceiling: bare Fastify route', server: 'ceiling', query: VIEWER, key: 'none', expect: [200] },
    { id: 'auth', label: 'auth: viewer { kind } (rate limits in-process)', server: 'ours', query: VIEWER, key: 'pool', expect: [200] },
    ...(redis
      ? [
          {
            id: 'auth:redis',
            label: 'auth: viewer { kind } (rate limits Redis)',
            server: 'ours-redis',
            query: VIEWER,
            key: 'pool',
            expect: [200],
          } as Scenario,
        ]
      : []),
    { id: 'noauth', label: 'no-auth baseline: viewer { kind }', server: 'noauth', query: VIEWER, key: 'none', expect: [200] },
    ...(BASELINE_ROOT
      ? [
          {
            id: 'auth:baseline',
            label: 'auth: viewer { kind } — keygate at BENCH_BASELINE_ROOT',
            server: 'baseline',
            query: VIEWER,
            key: 'pool',
            expect: [200],
          } as Scenario,
        ]
      : []),
    list('viewer:handbuilt', 'viewer { kind } — hand-built (key check, constant answer)', VIEWER, 'handbuilt'),
    ...PEERS.map((p) => list(`viewer:${p.server}`, `viewer { kind } — ${p.label}`, VIEWER, p.server)),
    ...lists('apiKeys', LIST_KEYS),
    ...lists('shortLinks', LIST_LINKS),
    { id: 'bad:malformed', label: 'bad keys: malformed (random)', server: 'badkeys', query: VIEWER, key: 'malformed', expect: [401] },
    {
      id: 'bad:unknown',
      label: 'bad keys: well-formed unknown (random; 429 after 30/min per IP)',
      server: 'badkeys',
      query: VIEWER,
      key: 'unknown',
      expect: [401, 429],
    },
  ];
}

/** A ratio with no target is shown for what it explains, never judged. */
const RATIOS: { id: string; label: string; over: [string, string]; target?: number }[] = [
  { id: 'auth/noauth', label: 'auth ÷ no-auth (in-process limits)', over: ['auth', 'noauth'], target: 0.95 },
  { id: 'auth/baseline', label: 'viewer: this checkout ÷ BENCH_BASELINE_ROOT', over: ['auth', 'auth:baseline'] },
  { id: 'authredis/noauth', label: 'auth ÷ no-auth (Redis limits)', over: ['auth:redis', 'noauth'], target: 0.95 },
  { id: 'auth/ceiling', label: 'auth ÷ ceiling (in-process limits)', over: ['auth', 'ceiling'], target: 0.35 },
  { id: 'authredis/ceiling', label: 'auth ÷ ceiling (Redis limits)', over: ['auth:redis', 'ceiling'], target: 0.35 },
  { id: 'viewer/apollo', label: 'viewer: keygate ÷ plain Apollo + graphql-shield', over: ['auth', 'viewer:apollo'], target: 0.95 },
  { id: 'viewer/handbuilt', label: 'viewer: keygate ÷ hand-built', over: ['auth', 'viewer:handbuilt'] },
  ...PEERS.map((p) => ({
    id: `viewer/${p.server}-handbuilt`,
    label: `viewer: ${p.label} ÷ hand-built`,
    over: [`viewer:${p.server}`, 'viewer:handbuilt'] as [string, string],
  })),
  ...(['apiKeys', 'shortLinks'] as const).flatMap((name) => [
    {
      id: `${name}/baseline`,
      label: `${name}: this checkout ÷ BENCH_BASELINE_ROOT`,
      over: [`${name}:ours`, `${name}:baseline`] as [string, string],
    },
    {
      id: `${name}/graphql-js`,
      label: `${name}: compiled (literals hoisted) ÷ graphql-js, both keygate`,
      over: [`${name}:ours`, `${name}:ours-js`] as [string, string],
    },
    {
      id: `${name}/yoga-jit`,
      label: `${name}: keygate ÷ Yoga + generic-auth + jit`,
      over: [`${name}:ours`, `${name}:yoga-jit`] as [string, string],
      target: 1.0,
    },
    {
      id: `${name}/apollo`,
      label: `${name}: keygate ÷ plain Apollo + graphql-shield`,
      over: [`${name}:ours`, `${name}:apollo`] as [string, string],
    },
    {
      id: `${name}/mercurius`,
      label: `${name}: keygate ÷ Mercurius (jit) + mercurius-auth`,
      over: [`${name}:ours`, `${name}:mercurius`] as [string, string],
    },
    {
      id: `${name}/handbuilt`,
      label: `${name}: keygate ÷ hand-built`,
      over: [`${name}:ours`, `${name}:handbuilt`] as [string, string],
      target: 0.75,
    },
    ...PEERS.map((p) => ({
      id: `${name}/${p.server}-handbuilt`,
      label: `${name}: ${p.label} ÷ hand-built`,
      over: [`${name}:${p.server}`, `${name}:handbuilt`] as [string, string],
    })),
  ]),
];

/**
 * The order of round `r`: the scenarios that a ratio compares run next to each other (the
 * `viewer` group, each list's group, the bad keys), so a ratio's two sides are seconds apart; the
 * order of the groups and the order inside each group rotate every round (reversed every other
 * round), so no scenario always follows the same one.
 */
function roundOrder(all: Scenario[], r: number): Scenario[] {
  const groupOf = (s: Scenario) =>
    s.id.startsWith('apiKeys') ? 'apiKeys' : s.id.startsWith('shortLinks') ? 'shortLinks' : s.id.startsWith('bad') ? 'bad' : 'viewer';
  const groups = [...new Set(all.map(groupOf))].map((g) => all.filter((s) => groupOf(s) === g));
  const rotate = <T>(xs: T[], by: number) => {
    const k = by % xs.length;
    const out = [...xs.slice(k), ...xs.slice(0, k)];
    return r % 2 ? out.reverse() : out;
  };
  return rotate(groups, r).flatMap((g) => rotate(g, r));
}

interface Round {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  statements: number;
  statuses: Record<string, number>;
}

function keyFor(s: Scenario, pool: string[]): (() => string) | null {
  switch (s.key) {
    case 'pool':
      return () => pool[Math.floor(Date.now() / SLICE_MS) % pool.length];
    case 'malformed':
      return () => `sk_live_${randomBytes(32).toString('hex')}zzzzzz`;
    case 'unknown':
      return () => keyFormat.generate().secret;
    case 'none':
      return null;
  }
}

function fire(port: number, s: Scenario, pool: string[], seconds: number): Promise<autocannon.Result> {
  const body = JSON.stringify({ query: s.query });
  const key = keyFor(s, pool);
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `http://127.0.0.1:${port}/graphql`,
        connections: CONNECTIONS,
        duration: seconds,
        requests: [
          {
            method: 'POST',
            body,
            setupRequest: (req) => ({ ...req, headers: { 'content-type': 'application/json', ...(key ? { 'x-api-key': key() } : {}) } }),
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

async function post(port: number, query: string, key?: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { 'x-api-key': key } : {}) },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, body: await res.text() };
}

function redisReachable(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port || 6379) });
    socket.setTimeout(500);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

/** The same JSON text but for one trailing newline (Apollo ends its answers with one; Yoga and Mercurius do not). */
function sameButNewline(a: string, b: string): boolean {
  return a.replace(/\n$/, '') === b.replace(/\n$/, '');
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `at byte ${i}: keygate …${a.slice(Math.max(0, i - 40), i + 60)}… vs …${b.slice(Math.max(0, i - 40), i + 60)}…`;
}

async function main() {
  const started = Date.now();
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'keygate-bench-logs-'));
  const redisUrl = process.env.BENCH_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = await redisReachable(redisUrl);
  if (!redis) process.stderr.write(`Redis not reachable at ${redisUrl}: the Redis-limited scenario is left out.\n`);
  const db = await openBenchDatabase();
  const servers = new Map<ServerName, ServerProcess>();
  const memory: BenchResults['memory'] = { afterStart: {}, idle: {}, afterLoad: {}, labels: SERVER_LABELS };
  try {
    process.stderr.write(`seeding ${KEYS} keys and ${LINKS} links…\n`);
    const seeded = await seed(db.url, KEYS, LINKS);
    // BENCH_METRICS=1: every keygate server counts its requests (METRICS_PORT, a free port each),
    // so a run against BENCH_BASELINE_ROOT prices metrics too (a checkout without them ignores it).
    // BENCH_OTLP_ENDPOINT=<url>: every keygate server exports traces there (a checkout without them ignores it).
    const env = productionEnv(db.url, {
      ...(process.env.BENCH_METRICS === '1' && { METRICS_PORT: '0' }),
      ...(process.env.BENCH_OTLP_ENDPOINT && { OTEL_EXPORTER_OTLP_ENDPOINT: process.env.BENCH_OTLP_ENDPOINT }),
    });
    const redisEnv = { ...env, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `kgbench${Date.now() % 1e9}:` };
    const start = (name: ServerName, kind: string, e: Record<string, string>) =>
      startServerProcess(kind, e, path.join(logDir, `${name}.log`), [], name === 'baseline' ? BASELINE_ROOT : undefined).then(
        (p) => void servers.set(name, p),
      );
    process.stderr.write(`starting server processes (logs in ${logDir})…\n`);
    // BENCH_ONLY=id,id… (scenario ids, e.g. `auth,noauth`) runs only those: for looking into one.
    const only = process.env.BENCH_ONLY?.split(',').map((x) => x.trim());
    const all = scenarios(redis).filter((s) => !only || only.includes(s.id));
    const needed = new Set<ServerName>(['ours', ...all.map((s) => s.server)]);
    const starts: [ServerName, string, Record<string, string>][] = [
      ['ceiling', 'ceiling', { NODE_ENV: 'production' }],
      ['ours', 'ours', env],
      ['ours-js', 'ours', { ...env, GRAPHQL_EXECUTOR: 'graphql-js' }],
      ['baseline', 'ours', env],
      ['ours-redis', 'ours', redisEnv],
      ['noauth', 'noauth', { ...env, BENCH_KEY: seeded.key }],
      ['badkeys', 'ours', env],
    ];
    await Promise.all(starts.filter(([name]) => needed.has(name)).map(([name, kind, e]) => start(name, kind, e)));
    // Resident memory after start and one request; `idle` is read IDLE_SECONDS after each server's last request.
    const lastRequest = new Map<ServerName, number>();
    const recordStart = async (names: ServerName[]) => {
      for (const name of names.filter((n) => servers.has(n))) {
        await post(servers.get(name)!.port, VIEWER, seeded.key);
        memory.afterStart![name] = servers.get(name)!.rss();
        lastRequest.set(name, Date.now());
      }
    };
    await recordStart(starts.map(([name]) => name));

    // The hand-built limit runs what keygate ran: capture it, start it, check the bytes.
    const ours = servers.get('ours')!;
    const routes: HandBuiltRoute[] = [];
    for (const [list, query] of [
      ['apiKeys', LIST_KEYS],
      ['shortLinks', LIST_LINKS],
    ] as const) {
      await post(ours.port, query, seeded.key);
      await ours.call('capture');
      await post(ours.port, query, seeded.key);
      const { statements } = await ours.call<{ statements: CapturedStatement[] }>('captured');
      routes.push({ query, list, statements: requestStatements(statements) });
    }
    lastRequest.set('ours', Date.now());
    routes.push({ query: VIEWER, list: 'viewer', statements: [] });
    // The peers send the same statements (the organization's id in their parameters replaced by the caller's).
    const statements = JSON.stringify({
      orgId: seeded.orgId,
      apiKeys: routes.find((r) => r.list === 'apiKeys')!.statements,
      shortLinks: routes.find((r) => r.list === 'shortLinks')!.statements,
    });
    const later: [ServerName, string, Record<string, string>][] = [
      ['handbuilt', 'handbuilt', { ...env, BENCH_HANDBUILT: JSON.stringify(routes) }],
      ...PEERS.map((p): [ServerName, string, Record<string, string>] => [p.server, p.server, { ...env, BENCH_STATEMENTS: statements }]),
    ];
    await Promise.all(later.filter(([name]) => needed.has(name)).map(([name, kind, e]) => start(name, kind, e)));
    await recordStart(later.map(([name]) => name));
    // Resident memory at idle: each server IDLE_SECONDS after its last request, the same wait for
    // every one. Start-up grows V8's young generation to its largest, and V8 gives it back only when
    // its memory reducer finds the heap idle (it arms ~8 s after a full collection; keygate's drops
    // 10–20 s after start): an idle server is one that has been idle.
    if (IDLE_SECONDS > 0) process.stderr.write(`reading each server's memory ${IDLE_SECONDS} s after its last request…\n`);
    for (const [name, at] of [...lastRequest].sort((a, b) => a[1] - b[1])) {
      const wait = at + IDLE_SECONDS * 1000 - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      memory.idle[name] = servers.get(name)!.rss();
    }

    // Every server's answer to each document is keygate's: the same bytes, or the same but for
    // the newline Apollo ends its JSON with.
    const identity: BenchResults['identity'] = [];
    for (const { list, query } of routes) {
      const reference = await post(ours.port, query, seeded.key);
      for (const name of ['ours-js', 'baseline', 'handbuilt', ...PEERS.map((p) => p.server)] as const) {
        if (!servers.has(name)) continue;
        const other = await post(servers.get(name)!.port, query, seeded.key);
        const match =
          other.status !== reference.status
            ? null
            : other.body === reference.body
              ? 'bytes'
              : sameButNewline(reference.body, other.body)
                ? 'newline'
                : null;
        const difference = match
          ? undefined
          : `status ${other.status} vs ${reference.status}, ${firstDifference(reference.body, other.body)}`;
        identity.push({ list, server: name, identical: match !== null, match: match ?? undefined, difference });
        if (!match) process.stderr.write(`NOT identical: ${list} from ${name} ${difference}\n`);
      }
    }

    const pool = seeded.keys;
    // Pre-flight: every scenario answers its expected status once.
    for (const s of all) {
      const { status, body } = await post(servers.get(s.server)!.port, s.query, keyFor(s, pool)?.() ?? undefined);
      if (!s.expect.includes(status)) throw new Error(`${s.label}: expected ${s.expect.join('/')}, got ${status} ${body.slice(0, 300)}`);
    }
    if (!smoke) {
      // Every key verified once on every server, so the rotation measures cache hits.
      process.stderr.write('warming the verification caches…\n');
      await Promise.all(
        (['ours', 'ours-js', 'baseline', 'ours-redis', ...PEERS.map((p) => p.server)] as const).map(async (name) => {
          const server = servers.get(name);
          if (!server) return;
          for (let i = 0; i < pool.length; i += CONNECTIONS) {
            await Promise.all(pool.slice(i, i + CONNECTIONS).map((k) => post(server.port, VIEWER, k)));
          }
        }),
      );
    }
    if (WARMUP > 0) {
      process.stderr.write(`warm-up: ${WARMUP} s per scenario…\n`);
      for (const s of all) await fire(servers.get(s.server)!.port, s, pool, WARMUP);
    }

    const rounds = new Map<string, Round[]>(all.map((s) => [s.id, []]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const s of roundOrder(all, r)) {
        const server = servers.get(s.server)!;
        const before = await server.call<{ statements: number }>('stats');
        const result = await fire(server.port, s, pool, SECONDS);
        const after = await server.call<{ statements: number }>('stats');
        const statuses: Record<string, number> = {};
        for (const [code, v] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = (v as { count: number }).count;
        rounds.get(s.id)!.push({
          rps: result.requests.total / SECONDS,
          p50: result.latency.p50,
          p99: result.latency.p99,
          requests: result.requests.total,
          statements: after.statements - before.statements,
          statuses,
        });
      }
      process.stderr.write(`round ${r + 1}/${ROUNDS} done (${Math.round((Date.now() - started) / 1000)} s)\n`);
    }

    for (const [name, server] of servers) memory.afterLoad[name] = server.rss();
    await Promise.all([...servers.values()].map((s) => s.stop()));
    servers.clear();

    const results: ScenarioResult[] = all.map((s) => {
      const rs = rounds.get(s.id)!;
      const requests = rs.reduce((n, x) => n + x.requests, 0);
      const statuses: Record<string, number> = {};
      for (const x of rs) for (const [code, n] of Object.entries(x.statuses)) statuses[code] = (statuses[code] ?? 0) + n;
      const expected = s.expect.reduce((n, code) => n + (statuses[String(code)] ?? 0), 0);
      return {
        id: s.id,
        label: s.label,
        server: s.server,
        rps: spread(rs.map((x) => x.rps)),
        p50Ms: spread(rs.map((x) => x.p50)).median,
        p99Ms: spread(rs.map((x) => x.p99)).median,
        requests,
        sqlPerRequest: s.server === 'ceiling' ? 0 : rs.reduce((n, x) => n + x.statements, 0) / Math.max(1, requests),
        statuses,
        unexpected: requests - expected,
        perRound: rs.map((x) => Math.round(x.rps)),
      };
    });
    const ratios: RatioResult[] = RATIOS.filter((r) => rounds.has(r.over[0]) && rounds.has(r.over[1])).map((r) => {
      const a = rounds.get(r.over[0])!;
      const b = rounds.get(r.over[1])!;
      const values = a.map((x, i) => x.rps / b[i].rps);
      const s = spread(values);
      return { id: r.id, label: r.label, target: r.target, ...s, pass: r.target === undefined || s.median >= r.target, perRound: values };
    });

    // BENCH_SCALE=0 skips the scale section (a quick this-vs-baseline comparison).
    if (process.env.BENCH_SCALE !== '0') process.stderr.write('scale section…\n');
    const scale = await (process.env.BENCH_SCALE === '0' ? Promise.resolve(null) : runScale(db.url, smoke, logDir)).catch(
      (error: Error) => {
        process.stderr.write(`scale section failed: ${error.message}\n`);
        process.exitCode = 1;
        return null;
      },
    );

    const out: BenchResults = {
      date: new Date().toISOString(),
      durationSeconds: 0,
      machine: {
        cpu: os.cpus()[0]?.model ?? 'unknown',
        cores: os.cpus().length,
        memoryGb: Math.round(os.totalmem() / 2 ** 30),
        loadAverage: os.loadavg().map((x) => Number(x.toFixed(2))),
        node: process.version,
        platform: `${os.platform()} ${os.release()}`,
      },
      settings: {
        smoke,
        rounds: ROUNDS,
        secondsPerScenario: SECONDS,
        warmupSeconds: WARMUP,
        idleSeconds: IDLE_SECONDS,
        connections: CONNECTIONS,
        keys: KEYS,
        links: LINKS,
        keySliceMs: SLICE_MS,
        database: db.embedded ? 'embedded PostgreSQL (a temp dir)' : 'DATABASE_URL (a fresh database)',
        redis: redis ? redisUrl : null,
        serverEnv: { ...env, DATABASE_URL: '(the bench database)' },
      },
      memory,
      handBuiltSql: routes.map((r) => ({ list: r.list, statements: r.statements.map((s) => s.text) })),
      identity,
      results,
      ratios,
      scale,
    };
    out.durationSeconds = Math.round((Date.now() - started) / 1000);
    const outDir = write ? __dirname : mkdtempSync(path.join(os.tmpdir(), 'keygate-bench-out-'));
    mkdirSync(outDir, { recursive: true });
    const { table } = writeReport(out, outDir);
    console.log(`\n${table}\n`);
    console.log(`wrote ${path.join(outDir, 'results.json')} and RESULTS.md in ${out.durationSeconds} s`);
    // Each scenario answered as expected in the pre-flight; a smoke window on a busy machine may
    // still end before its first answer.
    const idle = results.filter((r) => r.requests === 0).map((r) => r.label);
    if (idle.length && !smoke) throw new Error(`no request completed: ${idle.join(', ')}`);
    if (idle.length) process.stderr.write(`warning: no request completed within the window: ${idle.join(', ')}\n`);
    if (!identity.every((i) => i.identical)) process.exitCode = smoke ? 0 : 2;
    const malformed = results.find((r) => r.id === 'bad:malformed');
    // Malformed keys must run no SQL: what the server sent meanwhile is its background work only
    // (the invalidation heartbeat, about one statement a second).
    const background = ROUNDS * (3 * SECONDS + 3);
    if (malformed && malformed.sqlPerRequest * malformed.requests > background) {
      throw new Error(`malformed keys ran SQL (${malformed.sqlPerRequest} statements per request)`);
    }
  } finally {
    await Promise.all([...servers.values()].map((s) => s.stop()));
    await db.cleanup();
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
