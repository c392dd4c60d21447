import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { keyFormat, openBenchDatabase, seed, startServer } from './lib';

/**
 * `npm run bench`: seeds an organization (1,000 keys, 10,000 links) on the embedded PostgreSQL
 * (or DATABASE_URL), starts bench/server.ts in its own process and drives each scenario with
 * autocannon from this one. Prints a table, writes bench/results.json and bench/RESULTS.md.
 * `--smoke` (CI) runs about a second per scenario on a small seed and writes to a temp dir.
 */
const smoke = process.argv.includes('--smoke');
const DURATION = Number(process.env.BENCH_DURATION ?? (smoke ? 1 : 10));
const WARMUP = Number(process.env.BENCH_WARMUP ?? (smoke ? 0.5 : 2));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const KEYS = smoke ? 50 : 1_000;
const LINKS = smoke ? 200 : 10_000;

interface Scenario {
  name: string;
  server: 'ceiling' | 'ours' | 'noauth' | 'shield';
  query: string;
  key?: () => string;
  /** Every response is expected to be this status (bad keys: 401). */
  expectStatus: number;
}

interface Result {
  name: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  unexpectedStatus: number;
  sqlPerRequest: number;
}

const LIST_KEYS = '{ apiKeys(first: 50) { nodes { id name owner { email } createdBy { kind name } requestCount } } }';
const LIST_LINKS = '{ shortLinks(first: 50) { nodes { id slug domain { hostname } clicks } } }';

async function sqlCount(port: number): Promise<number> {
  return ((await (await fetch(`http://127.0.0.1:${port}/__queries`)).json()) as { queries: number }).queries;
}

function fire(port: number, s: Scenario, seconds: number): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ query: s.query });
    autocannon(
      {
        url: `http://127.0.0.1:${port}/graphql`,
        connections: CONNECTIONS,
        duration: seconds,
        requests: [
          {
            method: 'POST',
            body,
            setupRequest: (req) => ({
              ...req,
              headers: { 'content-type': 'application/json', ...(s.key ? { 'x-api-key': s.key() } : {}) },
            }),
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

async function main() {
  const started = Date.now();
  const { url, cleanup } = await openBenchDatabase();
  try {
    const key = await seed(url, KEYS, LINKS);
    const server = await startServer(url, key);
    const fixed = () => key;
    const scenarios: Scenario[] = [
      { name: 'ceiling (bare Fastify route)', server: 'ceiling', query: '{ viewer { kind } }', expectStatus: 200 },
      { name: 'auth: viewer { kind }', server: 'ours', query: '{ viewer { kind } }', key: fixed, expectStatus: 200 },
      { name: 'no-auth baseline: viewer { kind }', server: 'noauth', query: '{ viewer { kind } }', expectStatus: 200 },
      { name: 'list apiKeys(50) — @requires', server: 'ours', query: LIST_KEYS, key: fixed, expectStatus: 200 },
      { name: 'list apiKeys(50) — graphql-shield', server: 'shield', query: LIST_KEYS, key: fixed, expectStatus: 200 },
      { name: 'list shortLinks(50) — @requires', server: 'ours', query: LIST_LINKS, key: fixed, expectStatus: 200 },
      { name: 'list shortLinks(50) — graphql-shield', server: 'shield', query: LIST_LINKS, key: fixed, expectStatus: 200 },
      {
        name: 'bad keys: malformed (random)',
        server: 'ours',
        query: '{ viewer { kind } }',
        key: () => `sk_live_${randomBytes(32).toString('hex')}zzzzzz`,
        expectStatus: 401,
      },
      {
        name: 'bad keys: well-formed unknown (random)',
        server: 'ours',
        query: '{ viewer { kind } }',
        key: () => keyFormat.generate().secret,
        expectStatus: 401,
      },
    ];

    const results: Result[] = [];
    for (const s of scenarios) {
      const port = server.ports[s.server];
      await fire(port, s, WARMUP);
      const before = await sqlCount(server.ports.ceiling);
      const r = await fire(port, s, DURATION);
      const after = await sqlCount(server.ports.ceiling);
      const total = r.requests.total;
      const matching = s.expectStatus === 200 ? r['2xx'] : r['4xx'];
      results.push({
        name: s.name,
        requestsPerSecond: Math.round(r.requests.average),
        p50Ms: r.latency.p50,
        p99Ms: r.latency.p99,
        requests: total,
        unexpectedStatus: total - matching,
        sqlPerRequest: s.server === 'ceiling' ? 0 : Number(((after - before) / Math.max(1, total)).toFixed(3)),
      });
      process.stderr.write(`  ${s.name}: ${Math.round(r.requests.average)} req/s\n`);
    }
    await server.stop();

    const rps = (name: string) => results.find((r) => r.name.startsWith(name))!.requestsPerSecond;
    const ratios = {
      authOverNoAuth: rps('auth:') / rps('no-auth'),
      authOverCeiling: rps('auth:') / rps('ceiling'),
      apiKeysOursOverShield: rps('list apiKeys(50) — @requires') / rps('list apiKeys(50) — graphql-shield'),
      shortLinksOursOverShield: rps('list shortLinks(50) — @requires') / rps('list shortLinks(50) — graphql-shield'),
    };
    const machine = {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
    };
    const settings = {
      durationSeconds: DURATION,
      warmupSeconds: WARMUP,
      connections: CONNECTIONS,
      seededKeys: KEYS,
      seededLinks: LINKS,
      smoke,
    };

    const rows = results.map(
      (r) => `| ${r.name} | ${r.requestsPerSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.sqlPerRequest} | ${r.unexpectedStatus} |`,
    );
    const table = [
      '| scenario | req/s | p50 ms | p99 ms | SQL/request | unexpected status |',
      '|---|---:|---:|---:|---:|---:|',
      ...rows,
      '',
      `| ratio | value | target |`,
      '|---|---:|---|',
      `| auth ÷ no-auth | ${ratios.authOverNoAuth.toFixed(3)} | ≥ 0.90 |`,
      `| auth ÷ ceiling | ${ratios.authOverCeiling.toFixed(3)} | (the machine's limit) |`,
      `| apiKeys list: @requires ÷ graphql-shield | ${ratios.apiKeysOursOverShield.toFixed(3)} | ≥ 1.0 |`,
      `| shortLinks list: @requires ÷ graphql-shield | ${ratios.shortLinksOursOverShield.toFixed(3)} | ≥ 1.0 |`,
    ].join('\n');
    console.log(`\n${table}\n`);

    const outDir = smoke ? mkdtempSync(path.join(os.tmpdir(), 'keygate-bench-out-')) : __dirname;
    mkdirSync(outDir, { recursive: true });
    writeFileSync(
      path.join(outDir, 'results.json'),
      JSON.stringify({ date: new Date().toISOString(), machine, settings, results, ratios }, null, 2) + '\n',
    );
    writeFileSync(
      path.join(outDir, 'RESULTS.md'),
      [
        '# Benchmark results',
        '',
        `Run with \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.platform}.`,
        `Server and load generator (autocannon, ${CONNECTIONS} connections) share the machine; ${DURATION} s per scenario after a ${WARMUP} s warm-up.`,
        `Seed: one ENTERPRISE organization with ${KEYS} keys and ${LINKS} short links on the embedded PostgreSQL. Rate limits are off in this run`,
        '(a single key would otherwise be limited to 1000/min); bad-key scenarios answer 401 by design.',
        '',
        table,
        '',
      ].join('\n'),
    );
    console.log(`wrote ${path.join(outDir, 'results.json')} and RESULTS.md in ${Math.round((Date.now() - started) / 1000)} s`);
    if (results.some((r) => r.requests === 0)) throw new Error('a scenario completed no request');
    const malformed = results.find((r) => r.name.startsWith('bad keys: malformed'))!;
    if (malformed.sqlPerRequest !== 0) throw new Error(`malformed keys ran SQL (${malformed.sqlPerRequest} per request)`);
  } finally {
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
