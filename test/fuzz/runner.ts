import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import type { App } from '../../src/app';
import type { FuzzEnvironment, Principal } from './campaign';
import { databaseDigest, releasedBeyond, sameAnswer, stringsIn } from './oracles';
import { BY_SECRET_HASH } from '../../src/modules/api-keys/key.directory';
import { LOOKUPS } from '../../src/modules/sessions/person.directory';
import { fuzzCase, type FuzzCase } from './schema-documents';

/** No request may cost the server more CPU than this (process CPU time, not wall time: the machine may be busy). */
export const CPU_BOUND_MS = 1_000;

/** Cases between two top-ups of the objects changes aim at. */
const REPLENISH_EVERY = 200;

/** Finding the principal runs before a request has its budget (db/request-budget.ts): the only statements allowed outside it. */
const PRINCIPAL_LOOKUPS = new Set<string>([BY_SECRET_HASH, ...Object.values(LOOKUPS)]);
const isPrincipalLookup = (sql: string) => PRINCIPAL_LOOKUPS.has(sql);

export interface CampaignOptions {
  seed: number;
  /** Stop after this many cases … */
  runs: number;
  /** … or after this long, whichever comes first. */
  timeLimitMs?: number;
}

export interface CampaignReport {
  seed: number;
  cases: number;
  /** Queries answered identically by the compiled instance and graphql-js (every query: a difference fails the campaign). */
  queries: number;
  /** … of which only on a second or third pair (graphql-js's error race when a non-null root field fails). */
  raced: number;
  mutations: { ran: number; refused: number };
  statuses: Record<string, number>;
  codes: Record<string, number>;
  maxCpuMs: number;
  maxWallMs: number;
  seconds: number;
}

interface Answer {
  status: number;
  text: string;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; path?: unknown[]; extensions?: { code?: string } }[] };
}

async function send(app: App, fuzz: FuzzCase, principal: Principal): Promise<Answer> {
  const res = await app.server.inject({
    method: 'POST',
    url: '/graphql',
    // One request id for every case: the two executors' answers are compared byte for byte, errors' requestId included.
    headers: { 'content-type': 'application/json', 'x-request-id': 'fuzz', ...principal.headers },
    payload: JSON.stringify({ query: fuzz.query, variables: fuzz.variables }),
  });
  let body: Answer['body'];
  try {
    body = JSON.parse(res.body);
  } catch {
    throw new Error(`answered ${res.statusCode} with a body that is not JSON: ${res.body.slice(0, 200)}`);
  }
  return { status: res.statusCode, text: res.body, body };
}

const count = (tally: Record<string, number>, key: string) => (tally[key] = (tally[key] ?? 0) + 1);

/**
 * Runs generated cases (seeded; fast-check shrinks a failure to a small one) and applies every
 * oracle to each; throws on the first failure, naming the case, the principal and the oracle.
 */
export async function runCampaign(env: FuzzEnvironment, options: CampaignOptions): Promise<CampaignReport> {
  const started = performance.now();
  const report: CampaignReport = {
    seed: options.seed,
    cases: 0,
    queries: 0,
    raced: 0,
    mutations: { ran: 0, refused: 0 },
    statuses: {},
    codes: {},
    maxCpuMs: 0,
    maxWallMs: 0,
    seconds: 0,
  };
  const { t, reference, schema, principals, secrets, effects, logLines } = env;

  /**
   * Whether graphql-js answers as the compiled instance did. When a non-null root field fails,
   * graphql-js answers as soon as it does, with the sibling errors raised so far: which those are
   * depends on timing, so a difference must persist over fresh pairs of requests to count (a
   * compiled query that differs is deterministic, and differs every time).
   */
  const sameOnBoth = async (first: Answer, fuzz: FuzzCase, principal: Principal): Promise<boolean> => {
    let compiled = first;
    for (let attempt = 0; attempt < 3; attempt++) {
      const plain = await send(reference.app, fuzz, principal);
      if (plain.status === compiled.status && sameAnswer(plain.text, compiled.text)) {
        if (attempt > 0) report.raced++;
        return true;
      }
      compiled = await send(t.app, fuzz, principal);
    }
    return false;
  };

  // The root key half the time (its changes run, so later cases meet changed data), any principal otherwise.
  const anyone = fc.oneof(fc.constant(0), fc.nat({ max: principals.length - 1 }));
  const property = fc.asyncProperty(fuzzCase(schema, env.pools), anyone, async (fuzz, who) => {
    if (report.cases > 0 && report.cases % REPLENISH_EVERY === 0) await env.replenish();
    report.cases++;
    const principal = principals[who];
    const fail = (oracle: string, detail: string) => {
      throw new Error(
        `${oracle}: ${detail}\n  as: ${principal.name}\n  query: ${fuzz.query}\n  variables: ${JSON.stringify(fuzz.variables)}`,
      );
    };
    const errorLinesBefore = logLines.filter((l) => JSON.parse(l).level >= 50).length;
    const before = fuzz.operation === 'mutation' ? await databaseDigest(t.dataSource) : null;
    const cpu = process.cpuUsage();
    const wallStart = performance.now();
    const { result: answer, outside } = await t.outsideBudgets(() => send(t.app, fuzz, principal));
    const wallMs = performance.now() - wallStart;
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000;
    report.maxCpuMs = Math.max(report.maxCpuMs, cpuMs);
    report.maxWallMs = Math.max(report.maxWallMs, wallMs);
    count(report.statuses, String(answer.status));
    for (const e of answer.body.errors ?? []) count(report.codes, e.extensions?.code ?? 'none');

    if (answer.status >= 500) fail('no 5xx', `status ${answer.status}: ${answer.text.slice(0, 300)}`);
    if (answer.body.errors?.some((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR'))
      fail('no internal error', answer.text.slice(0, 300));
    if (cpuMs > CPU_BOUND_MS) fail('bounded cost', `${cpuMs.toFixed(0)} ms of CPU (bound ${CPU_BOUND_MS} ms)`);
    const leaked = secrets.find((s) => answer.text.includes(s));
    if (leaked) fail('no secret leaves', `a stored secret (${leaked.slice(0, 12)}…) is in the answer`);
    const beyond = releasedBeyond(schema, fuzz.query, answer.body.data, principal.scopes);
    if (beyond.length) fail('released ⊆ allowed', JSON.stringify(beyond));
    const foreign = stringsIn(answer.body.data).find((s) => principal.foreignIds.has(s));
    if (foreign) fail('own organization only', `another organization's id ${foreign} is in the data`);
    const effect = effects.seen();
    if (effect) fail('client text is data', effect);
    const unbudgeted = outside.filter((sql) => !isPrincipalLookup(sql));
    if (unbudgeted.length) fail('every statement within the request budget', unbudgeted.join('\n    '));
    const errorLines = logLines.filter((l) => JSON.parse(l).level >= 50);
    if (errorLines.length > errorLinesBefore) fail('no error logged', errorLines.at(-1)!.slice(0, 400));

    if (fuzz.operation === 'query') {
      if (!(await sameOnBoth(answer, fuzz, principal))) {
        fail(
          'compiled = interpreted',
          `compiled ${answer.status} ${answer.text.slice(0, 400)}\n  graphql-js: a different answer, three times`,
        );
      }
      report.queries++;
      return;
    }
    // A mutation ran when it has data, or errors only below its root field; otherwise it was refused.
    const errors = answer.body.errors ?? [];
    const rootFailed = errors.some((e) => !e.path || e.path.length === 1);
    const ran = !rootFailed && (answer.body.data != null || errors.length > 0);
    if (ran) {
      report.mutations.ran++;
      return;
    }
    report.mutations.refused++;
    const after = await databaseDigest(t.dataSource);
    if (after !== before)
      fail('a refused change changes no row', `the tables changed although the answer was ${answer.text.slice(0, 300)}`);
  });

  await fc.assert(property, {
    seed: options.seed,
    numRuns: options.runs,
    interruptAfterTimeLimit: options.timeLimitMs,
    markInterruptAsFailure: false,
  });
  report.seconds = Math.round((performance.now() - started) / 1000);
  return report;
}

/** The report as the lines a person reads. */
export function describeReport(r: CampaignReport): string {
  const sorted = (tally: Record<string, number>) =>
    Object.entries(tally)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  return [
    `fuzz: seed ${r.seed}, ${r.cases} cases in ${r.seconds} s, no oracle failed`,
    `  queries ${r.queries}, each answered identically by the compiled instance and graphql-js (${r.raced} on a later pair)`,
    `  mutations ran ${r.mutations.ran}, refused ${r.mutations.refused} (no refused one changed a row)`,
    `  statuses: ${sorted(r.statuses)}`,
    `  error codes: ${sorted(r.codes)}`,
    `  slowest: ${r.maxCpuMs.toFixed(0)} ms CPU (bound ${CPU_BOUND_MS}), ${r.maxWallMs.toFixed(0)} ms wall`,
  ].join('\n');
}
