import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ScaleResults } from './scale';
import { fmt, type Spread } from './stats';

export interface ScenarioResult {
  id: string;
  label: string;
  server: string;
  rps: Spread;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  sqlPerRequest: number;
  statuses: Record<string, number>;
  unexpected: number;
  perRound: number[];
}

export interface RatioResult extends Spread {
  id: string;
  label: string;
  /** None: shown for what it explains, never judged. */
  target?: number;
  pass: boolean;
  perRound: number[];
}

export interface BenchResults {
  date: string;
  durationSeconds: number;
  machine: { cpu: string; cores: number; memoryGb: number; loadAverage: number[]; node: string; platform: string };
  settings: {
    smoke: boolean;
    rounds: number;
    secondsPerScenario: number;
    warmupSeconds: number;
    connections: number;
    keys: number;
    links: number;
    keySliceMs: number;
    database: string;
    redis: string | null;
    serverEnv: Record<string, string>;
  };
  memoryRss: Record<string, number>;
  handBuiltSql: { list: string; statements: string[] }[];
  identity: { list: string; server: string; identical: boolean; difference?: string }[];
  results: ScenarioResult[];
  ratios: RatioResult[];
  /** Null when the scale section failed (see the run's output). */
  scale: ScaleResults | null;
}

const COMMENTARY_START = '<!-- commentary: kept when the run rewrites this file -->';
const COMMENTARY_END = '<!-- /commentary -->';

function tables(r: BenchResults): { scenarios: string; ratios: string; scale: string } {
  const scenarios = [
    '| scenario | req/s median [IQR] | p50 ms | p99 ms | SQL/request | unexpected status | statuses |',
    '|---|---:|---:|---:|---:|---:|---|',
    ...r.results.map(
      (s) =>
        `| ${s.label} | ${Math.round(s.rps.median)} [${Math.round(s.rps.q1)}–${Math.round(s.rps.q3)}] | ${s.p50Ms} | ${s.p99Ms} | ` +
        `${fmt(s.sqlPerRequest, 3)} | ${s.unexpected} | ${Object.entries(s.statuses)
          .map(([code, n]) => `${code}: ${n}`)
          .join(', ')} |`,
    ),
  ].join('\n');
  const ratios = [
    '| ratio (per-round values) | median | IQR | target | verdict |',
    '|---|---:|---:|---:|---|',
    ...r.ratios.map(
      (x) =>
        `| ${x.label} | ${fmt(x.median)} | ${fmt(x.q1)}–${fmt(x.q3)} | ${x.target === undefined ? '' : `≥ ${x.target}`} | ${x.target === undefined ? '' : x.pass ? 'PASS' : '**FAIL**'} |`,
    ),
  ].join('\n');
  const s = r.scale;
  if (!s) {
    const why = process.env.BENCH_SCALE === '0' ? 'was skipped (BENCH_SCALE=0)' : 'failed in this run: see its output';
    return { scenarios, ratios, scale: `_The scale section ${why}._` };
  }
  const scale = [
    '| organization | cache hit ms | cache miss ms | first page ms | deep page ms | first page + totalCount ms |',
    '|---:|---:|---:|---:|---:|---:|',
    ...s.orgs.map(
      (o) =>
        `| ${o.keys.toLocaleString('en')} keys | ${o.cacheHitMs} | ${o.cacheMissMs} | ${o.firstPageMs} | ${o.deepPageMs} | ${o.withTotalCountMs} |`,
    ),
    '',
    '| measure | value | target | verdict |',
    '|---|---:|---:|---|',
    `| one key invalidation (\`VerificationCache.apply\`), ${s.invalidation.cachedKeys.toLocaleString('en')} cached keys: median (max) | ${s.invalidation.keyMs} ms (${s.invalidation.keyMsMax} ms) | < 1 ms | ${s.invalidation.keyMs < 1 ? 'PASS' : '**FAIL**'} |`,
    `| member / organization invalidation, same cache (median) | ${s.invalidation.memberMs} ms / ${s.invalidation.orgMs} ms | | |`,
    `| verification cache, heap per entry | ${s.cacheBytesPerEntry} bytes | | |`,
    `| usage flush of ${s.flush.keys.toLocaleString('en')} keys: duration | ${s.flush.flushMs} ms | | |`,
    `| … longest event-loop block during it (monitorEventLoopDelay max; p99) | ${s.flush.eventLoopMaxMs} ms (${s.flush.eventLoopP99Ms} ms) | ≤ 20 ms | ${s.flush.eventLoopMaxMs <= 20 ? 'PASS' : '**FAIL**'} |`,
    `| … slowest of ${s.flush.pings} concurrent \`viewer\` requests | ${s.flush.pingMaxMs} ms | ≤ 20 ms | ${s.flush.pingMaxMs <= 20 ? 'PASS' : '**FAIL**'} |`,
    `| … control: the same requests for as long with no flush, longest block (p99) | ${s.flush.controlMaxMs ?? '–'} ms (${s.flush.controlP99Ms ?? '–'} ms) | | |`,
  ].join('\n');
  return { scenarios, ratios, scale };
}

function previousCommentary(file: string): string {
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8');
  const a = text.indexOf(COMMENTARY_START);
  const b = text.indexOf(COMMENTARY_END);
  return a >= 0 && b > a ? text.slice(a + COMMENTARY_START.length, b).trim() : '';
}

/** Writes results.json and RESULTS.md into `dir`; returns the printed tables. */
export function writeReport(r: BenchResults, dir: string): { table: string } {
  const t = tables(r);
  writeFileSync(path.join(dir, 'results.json'), JSON.stringify(r, null, 2) + '\n');
  const st = r.settings;
  const failing = r.ratios.filter((x) => !x.pass).map((x) => `${x.label} (${fmt(x.median)} < ${x.target})`);
  const notIdentical = r.identity.filter((i) => !i.identical);
  const mdFile = path.join(dir, 'RESULTS.md');
  const commentary =
    previousCommentary(mdFile) || '_No commentary yet: write it here; `npm run bench -- --write` keeps what is between these markers._';
  const md = [
    '# Benchmark results',
    '',
    `\`npm run bench${st.smoke ? ' -- --smoke' : ''}\` on ${r.date.slice(0, 16).replace('T', ' ')} UTC, ${r.durationSeconds} s: ${r.machine.cpu}, ` +
      `${r.machine.cores} cores, ${r.machine.memoryGb} GB, Node ${r.machine.node}, ${r.machine.platform}; load average at the end ` +
      `${r.machine.loadAverage.join(' / ')}.`,
    '',
    '## How it was run',
    '',
    `- **Interleaved rounds**: ${st.rounds} rounds; each round runs every scenario once for ${st.secondsPerScenario} s, after a ` +
      `${st.warmupSeconds} s warm-up of each. The scenarios a ratio compares run next to each other (the \`viewer\` group, each ` +
      "list's group, the bad keys), the order of the groups and inside them rotating every round (reversed every other one). Every " +
      'ratio is computed per round (its two sides ran seconds apart) and reported as the median and interquartile range of those ' +
      'per-round values; req/s in the table are the median [IQR] over rounds, p50/p99 the median over rounds.',
    `- **Processes**: autocannon (${st.connections} connections, same for every scenario) in the runner process; every server in ` +
      `its own process, all on the same ${r.machine.cores}-core machine; ${st.database}.`,
    '- **Production configuration** for every keygate server (ours, the peers, the bad-key server): `NODE_ENV=production` in the ' +
      "process's environment, read by `loadConfig(process.env)`; pino at `info` to stdout, sent to a file; `ACCESS_LOG` at its " +
      'default (`errors`: a line per failed or slow request); rate limits on — in-process, and with Redis' +
      (st.redis ? ` (\`REDIS_URL=${st.redis}\`, \`RATE_LIMIT_SYNC_MS\` default 100)` : ' (**skipped: no Redis reachable**)') +
      '; verification cache and invalidation listener on; `DB_POOL_SIZE` default (10, and 10 for the hand-built pool); ' +
      '`JOBS_ENABLED=false` (webhook workers touch no request). Environment: `' +
      Object.entries(st.serverEnv)
        .map(([k, v]) => `${k}=${k.includes('SECRET') || k.includes('KEY') ? '…' : v}`)
        .join(' ') +
      '`.',
    `- **Keys**: one ENTERPRISE organization with ${st.keys} keys (real secrets) and ${st.links} short links. The load rotates over ` +
      `all ${st.keys} keys, one per ${st.keySliceMs} ms, so no key passes the ENTERPRISE limit (1,000/min, the highest a key can have) ` +
      'below 20,000 req/s per server: any 429 on a valid key is counted as unexpected. Malformed and unknown keys go to a server of ' +
      'their own (same configuration), whose per-IP failed-authentication throttle answers 429 after 30 unknown keys a minute — ' +
      'the expected answer there.',
    '- **Peers** guard the same type-graphql schema and resolvers (keygate’s `buildUnguardedSchema`) from the same `@requires` ' +
      'usages and are served by the same `buildApp` (same HTTP stack, context, logging, rate limits); keygate’s own up-front ' +
      'decision sees no requirement on them. `@envelop/generic-auth` runs in `protect-granular` mode with `@requiresScopes`; as ' +
      'Apollo has no envelop hook, its envelop lifecycle (context building, then the extended validation of the operation) runs ' +
      'once per request from the root fields.',
    '- **Hand-built limit**: a bare Fastify route + `pg` running the statements keygate sent for the same request (captured from ' +
      'its connection, same text and parameters, the loaders’ statements concurrently) and writing the JSON by hand; it checks ' +
      'the key as a cache hit does (SHA-256, one lookup) and does nothing else. ' +
      (notIdentical.length
        ? `**Not byte-identical to keygate's answer**: ${notIdentical.map((i) => `${i.list} from ${i.server} ${i.difference}`).join('; ')}.`
        : 'Its answers, and every peer’s, were checked byte-identical to keygate’s before measuring.'),
    '- **SQL/request**: statements sent through `pg` by the server process during the scenario (including its background work: ' +
      'invalidation heartbeat, usage flushes) ÷ requests.',
    '',
    '## Throughput and latency',
    '',
    t.scenarios,
    '',
    '## Ratios',
    '',
    t.ratios,
    '',
    failing.length ? `Failing: ${failing.join('; ')}.` : 'Every ratio meets its target.',
    '',
    '## Scale',
    '',
    'In a separate process after the rounds (no load running), on keygate in the same configuration but with per-key rate limits off ' +
      '(`RATE_LIMITS_ENABLED=false`: its requests come back to back, above any plan’s limit): organizations seeded with ' +
      '`generate_series`; latencies are medians of 15 sequential requests over HTTP on loopback.',
    '',
    t.scale,
    '',
    '## Commentary',
    '',
    COMMENTARY_START,
    '',
    commentary,
    '',
    COMMENTARY_END,
    '',
    '## The SQL of the hand-built limit (as captured)',
    '',
    ...r.handBuiltSql.flatMap((h) => [
      `- ${h.list}: ${h.statements.length} statements`,
      ...h.statements.map((s) => `  - \`${s.slice(0, 160)}…\``),
    ]),
    '',
  ].join('\n');
  writeFileSync(mdFile, md);
  return { table: `${t.scenarios}\n\n${t.ratios}\n\n${t.scale}` };
}
