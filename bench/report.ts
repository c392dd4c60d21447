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
    /** How long after its last request each server's idle memory was read (absent in older results: 0). */
    idleSeconds?: number;
    connections: number;
    keys: number;
    links: number;
    keySliceMs: number;
    database: string;
    redis: string | null;
    serverEnv: Record<string, string>;
  };
  /** VmRSS in bytes of every server process: after start and one request, and after the rounds. */
  memory: {
    /** Right after its start and one request (older results have only this, as `idle`). */
    afterStart?: Record<string, number>;
    /** After IDLE_SECONDS more without a request: what V8 keeps once its memory reducer has run. */
    idle: Record<string, number>;
    afterLoad: Record<string, number>;
    labels: Record<string, string>;
  };
  handBuiltSql: { list: string; statements: string[] }[];
  /** `match`: the same bytes, or the same but for a trailing newline. */
  identity: { list: string; server: string; identical: boolean; match?: 'bytes' | 'newline'; difference?: string }[];
  results: ScenarioResult[];
  ratios: RatioResult[];
  /** Null when the scale section failed (see the run's output). */
  scale: ScaleResults | null;
}

const COMMENTARY_START = '<!-- commentary: kept when the run rewrites this file -->';
const COMMENTARY_END = '<!-- /commentary -->';

export interface MemoryCheck {
  label: string;
  value: string;
  target: string;
  pass: boolean;
}

const MB = 2 ** 20;
const mb = (bytes: number | undefined) => (bytes ? String(Math.round(bytes / MB)) : '–');

/** The memory targets of issue 21: keygate at idle ≤ 100 MB, after the load ≤ 1.5 × the plain Apollo peer's. */
export function memoryChecks(r: BenchResults): MemoryCheck[] {
  const { idle, afterLoad } = r.memory;
  const checks: MemoryCheck[] = [];
  if (idle.ours)
    checks.push({
      label: 'keygate RSS at idle',
      value: `${mb(idle.ours)} MB${r.memory.afterStart?.ours ? ` (${mb(r.memory.afterStart.ours)} right after start)` : ''}`,
      target: '≤ 100 MB',
      pass: idle.ours <= 100 * MB,
    });
  if (afterLoad.ours && afterLoad.apollo) {
    const ratio = afterLoad.ours / afterLoad.apollo;
    checks.push({
      label: 'keygate RSS after the load ÷ plain Apollo’s',
      value: `${fmt(ratio)} (${mb(afterLoad.ours)} / ${mb(afterLoad.apollo)} MB)`,
      target: '≤ 1.5',
      pass: ratio <= 1.5,
    });
  }
  return checks;
}

/** The issue's table: each server's throughput ÷ the hand-built limit's, per document, and its memory. */
function peerTable(r: BenchResults): string {
  const columns = [
    { name: 'keygate', server: 'ours', ratio: (doc: string) => `${doc}/handbuilt` },
    ...['apollo', 'yoga', 'yoga-jit', 'mercurius'].map((server) => ({
      name: r.memory.labels[server] ?? server,
      server,
      ratio: (doc: string) => `${doc}/${server}-handbuilt`,
    })),
  ];
  const byId = new Map(r.ratios.map((x) => [x.id, x]));
  const cell = (id: string) => {
    const x = byId.get(id);
    return x ? `${fmt(x.median)} [${fmt(x.q1)}–${fmt(x.q3)}]` : '–';
  };
  const docs = [
    ['`viewer { kind }`', 'viewer'],
    ['`apiKeys(first: 50)`', 'apiKeys'],
    ['`shortLinks(first: 50)`', 'shortLinks'],
  ];
  return [
    `| ÷ hand-built (per-round median [IQR]) | ${columns.map((c) => c.name).join(' | ')} |`,
    `|---|${columns.map(() => '---:').join('|')}|`,
    ...docs.map(([label, doc]) => `| ${label} | ${columns.map((c) => cell(c.ratio(doc))).join(' | ')} |`),
    `| RSS after start / idle / after load (MB) | ${columns
      .map((c) => `${mb(r.memory.afterStart?.[c.server])} / ${mb(r.memory.idle[c.server])} / ${mb(r.memory.afterLoad[c.server])}`)
      .join(' | ')} |`,
  ].join('\n');
}

function memoryTable(r: BenchResults): string {
  const names = [...new Set([...Object.keys(r.memory.idle), ...Object.keys(r.memory.afterLoad)])];
  return [
    '| server process | RSS after start (MB) | RSS idle (MB) | RSS after the load (MB) |',
    '|---|---:|---:|---:|',
    ...names.map(
      (n) => `| ${r.memory.labels[n] ?? n} | ${mb(r.memory.afterStart?.[n])} | ${mb(r.memory.idle[n])} | ${mb(r.memory.afterLoad[n])} |`,
    ),
    '',
    '| memory target | value | target | verdict |',
    '|---|---:|---:|---|',
    ...memoryChecks(r).map((c) => `| ${c.label} | ${c.value} | ${c.target} | ${c.pass ? 'PASS' : '**FAIL**'} |`),
  ].join('\n');
}

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
  const failing = [
    ...r.ratios.filter((x) => !x.pass).map((x) => `${x.label} (${fmt(x.median)} < ${x.target})`),
    ...memoryChecks(r)
      .filter((c) => !c.pass)
      .map((c) => `${c.label} (${c.value}, target ${c.target})`),
  ];
  const notIdentical = r.identity.filter((i) => !i.identical);
  const sameAs = (match: 'bytes' | 'newline') =>
    [...new Set(r.identity.filter((i) => i.match === match).map((i) => i.server))].join(', ') || 'none';
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
    '- **Production configuration** for every keygate server (ours, its graphql-js, Redis and no-auth twins, the bad-key server): `NODE_ENV=production` in the ' +
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
    '- **Compiled**: every server runs as JavaScript — keygate from its `npm run build` (dist/), the bench servers transpiled ' +
      'beside it (dist/bench/) — with no TypeScript compiler in any server process.',
    '- **Peers** (bench/stacks/): what a team would build instead of keygate, each in its own process, none importing keygate: an ' +
      'SDL schema of the fields the bench selects (keygate’s types and nullability), resolvers on `pg` sending the statements ' +
      'keygate sent for the same document (captured, the organization id parameter the caller’s), the same key check (the ' +
      '`x-api-key` header’s SHA-256, looked up once, then from a Map) and permissions from the key’s scopes: **plain Apollo Server ' +
      '5** (`startStandaloneServer`) + graphql-shield (a rule tree, one cached rule per scope); **GraphQL Yoga 5** on Node’s http ' +
      'server + `@envelop/generic-auth` (`protect-granular`, `@authenticated` / `@requiresScopes` in the SDL), plain and with ' +
      '`@envelop/graphql-jit` (compiled queries cached by document and by text); **Mercurius** on Fastify with `jit: 1` + ' +
      'mercurius-auth (`@auth(requires:)` directives). Peers run with `NODE_ENV=production` and log nothing per request.',
    '- **Hand-built limit**: a bare Fastify route + `pg` running the statements keygate sent for the same request (captured from ' +
      'its connection, same text and parameters, the loaders’ statements concurrently) and writing the JSON by hand; it checks ' +
      'the key as a cache hit does (SHA-256, one lookup) and does nothing else. ' +
      (notIdentical.length
        ? `**Not identical to keygate's answer**: ${notIdentical.map((i) => `${i.list} from ${i.server} ${i.difference}`).join('; ')}.`
        : 'Its answers, and every peer’s, were checked identical to keygate’s before measuring, for each document: ' +
          `byte-identical (${sameAs('bytes')}) or identical but for Apollo’s trailing newline (${sameAs('newline')}).`),
    '- **SQL/request**: statements sent through `pg` by the server process during the scenario (including its background work: ' +
      'invalidation heartbeat, usage flushes) ÷ requests.',
    '',
    '## Throughput and latency',
    '',
    t.scenarios,
    '',
    '## Against the peers',
    '',
    peerTable(r),
    '',
    '## Ratios',
    '',
    t.ratios,
    '',
    '## Memory',
    '',
    `VmRSS of each server process (/proc/<pid>/status), read by the runner: right after its start and one \`viewer\` request; at idle, ` +
      `${r.settings.idleSeconds ?? 0} s after its last request (start-up grows V8's young generation to its largest, and V8 gives it ` +
      `back when its memory reducer finds the heap idle — within that wait for some processes, not for others); and after the rounds.`,
    '',
    memoryTable(r),
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
  return { table: `${t.scenarios}\n\n${peerTable(r)}\n\n${t.ratios}\n\n${memoryTable(r)}\n\n${t.scale}` };
}
