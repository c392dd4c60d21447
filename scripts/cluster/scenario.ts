import type { Client } from 'pg';
import { describe, percentile, succeeded, type Answer, type GqlClient } from './http-client';
import { until, type HaProxy, type KeygateNode } from './cluster.processes';
import type { HttpsReceiver } from './webhook-receiver';

/** What every phase sees: the nodes, the balancer, a client for each, the database and the keys. */
export interface Cluster {
  nodes: KeygateNode[];
  haproxy: HaProxy;
  /** Through HAProxy. */
  lb: GqlClient;
  /** Straight to each node, bypassing HAProxy (same order as `nodes`). */
  direct: GqlClient[];
  db: Client;
  orgId: string;
  /** The bootstrap key: every permission. */
  adminKey: string;
  /** Keys the load rotates over, so no one key's rate limit shapes the load. */
  loadKeys: string[];
  receiver: HttpsReceiver;
  syncMs: number;
  short: boolean;
}

export interface Check {
  name: string;
  ok: boolean;
  /** The figures, one line. */
  line: string;
  /** What went wrong, when it did. */
  details?: string[];
}

const VIEWER = '{ viewer { kind } }';
const CREATE_KEY = `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id } } }`;
const REVOKE = 'mutation($id: ID!) { revokeApiKey(id: $id, reason: "cluster scenario") { status } }';
const CREATE_LINK = 'mutation($input: CreateShortLinkInput!) { createShortLink(input: $input) { id slug } }';
const LIST_LINKS = '{ shortLinks(first: 5) { nodes { slug } } }';

let slugs = 0;
/** A slug no other request of this run uses: an acknowledged one must be found in PostgreSQL. */
const nextSlug = (phase: string) => `${phase}-${process.pid.toString(36)}-${(slugs++).toString(36)}`;

export async function gqlOk(client: GqlClient, key: string, query: string, variables: Record<string, unknown> = {}) {
  const answer = await client.post(query, variables, { 'x-api-key': key });
  if (!succeeded(answer)) throw new Error(`${query.slice(0, 60)}…: ${describe(answer)}`);
  return answer.body!.data as Record<string, Record<string, unknown>>;
}

export async function createKey(c: Cluster, input: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const data = await gqlOk(c.lb, c.adminKey, CREATE_KEY, { input: { name: `cluster ${slugs++}`, ...input } });
  return { id: (data.createApiKey.apiKey as { id: string }).id, secret: data.createApiKey.secret as string };
}

/** `concurrency` loops sending `next(i)` until `stop(i)` says so (i counts requests sent); every answer goes to `seen`. */
async function loadLoops(
  concurrency: number,
  stop: (i: number) => boolean,
  next: (i: number) => Promise<Answer>,
  seen: (a: Answer) => void,
) {
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (!stop(i)) seen(await next(i++));
    }),
  );
}

const byNode = (answers: Answer[]) => {
  const counts = new Map<string, number>();
  for (const a of answers) counts.set(a.node ?? '?', (counts.get(a.node ?? '?') ?? 0) + 1);
  return [...counts]
    .sort()
    .map(([n, k]) => `${n} ${k}`)
    .join(', ');
};

const ms = (v: number) => `${v.toFixed(1)} ms`;

/**
 * 1. Shared rate limits through the balancer. A key with a limit of L per minute gets M > L
 * requests at a paced R per second, round robin over the nodes. No node refuses before the
 * cluster-wide count passes L (a node's view never exceeds the true count), and once it has, every
 * node learns it within two sync intervals (its own hits reach Redis within one, the others'
 * totals come back with its next sync): so L ≤ accepted ≤ L + R × 2 × RATE_LIMIT_SYNC_MS.
 */
export async function sharedRateLimits(c: Cluster): Promise<Check> {
  const limit = 300;
  const rate = 150;
  const sent = 600;
  const tolerance = Math.ceil((rate * 2 * c.syncMs) / 1000);
  const key = await createKey(c, { permissions: { stats: ['read'] }, rateLimitPerMinute: limit });
  const pending: Promise<Answer>[] = [];
  // 3 requests every 20 ms: the rate never exceeds 150/s (a late tick sends late, never more).
  const perTick = (rate * 20) / 1000;
  while (pending.length < sent) {
    for (let i = 0; i < perTick && pending.length < sent; i++) pending.push(c.lb.post(VIEWER, {}, { 'x-api-key': key.secret }));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const answers = await Promise.all(pending);
  const accepted = answers.filter(succeeded);
  const refused = answers.filter((a) => a.status === 429 && a.body?.errors?.[0]?.extensions?.code === 'RATE_LIMITED');
  const other = answers.length - accepted.length - refused.length;
  const ok = other === 0 && accepted.length >= limit && accepted.length <= limit + tolerance;
  return {
    name: 'rate limits',
    ok,
    line:
      `key limit ${limit}/min, ${sent} requests at ≤ ${rate}/s through HAProxy (${byNode(answers)}): accepted ${accepted.length} ` +
      `= limit + ${accepted.length - limit} (tolerance ${rate}/s × 2 × ${c.syncMs} ms = ${tolerance}; accepted by ${byNode(accepted)}), ` +
      `refused ${refused.length} (429 RATE_LIMITED), other ${other}`,
    details: other
      ? answers
          .filter((a) => !succeeded(a) && a.status !== 429)
          .slice(0, 5)
          .map(describe)
      : undefined,
  };
}

/**
 * 2. A revocation made on one node is refused on every node. Each key is first used on every node
 * (so each has it in its verification cache), revoked on one node directly, and then every node is
 * asked directly, request after request, until it answers 401 REVOKED. The lag is from the revoke's
 * response to that 401's arrival. Each key's polls carry their own X-Forwarded-For (the nodes trust
 * loopback as HAProxy), so the failed-authentication throttle, 30 per client IP per minute, is not
 * what answers.
 */
export async function revocation(c: Cluster): Promise<Check> {
  const count = c.short ? 10 : 40;
  const lags: number[][] = c.nodes.map(() => []);
  const problems: string[] = [];
  for (let i = 0; i < count; i++) {
    const key = await createKey(c, { permissions: { stats: ['read'] } });
    const headers = { 'x-api-key': key.secret, 'x-forwarded-for': `10.77.${i >> 8}.${i & 255}` };
    for (const node of c.direct) {
      const answer = await node.post(VIEWER, {}, headers);
      if (!succeeded(answer)) problems.push(`key ${i} before its revocation on :${node.port}: ${describe(answer)}`);
    }
    const origin = i % c.nodes.length;
    await gqlOk(c.direct[origin], c.adminKey, REVOKE, { id: key.id });
    const revokedAt = performance.now();
    await Promise.all(
      c.direct.map(async (node, n) => {
        const end = Date.now() + 10_000;
        for (;;) {
          const answer = await node.post(VIEWER, {}, headers);
          const reason = answer.body?.errors?.[0]?.extensions?.reason;
          if (answer.status === 401 && reason === 'REVOKED') return void lags[n].push(answer.at - revokedAt);
          if (!succeeded(answer)) return void problems.push(`key ${i} on ${c.nodes[n].name}: ${describe(answer)}`);
          if (Date.now() > end) return void problems.push(`key ${i} still accepted by ${c.nodes[n].name} after 10 s`);
        }
      }),
    );
  }
  const refusedEverywhere = lags.every((l) => l.length === count);
  const perNode = c.nodes.map((node, n) => `${node.name} p50 ${ms(percentile(lags[n], 50))} p99 ${ms(percentile(lags[n], 99))}`);
  return {
    name: 'revocation',
    ok: refusedEverywhere && problems.length === 0,
    line:
      `${count} keys revoked, each on one node in turn; refused (401 REVOKED) by every node, asked directly: ` +
      `${lags.map((l) => l.length).join('/')} of ${count}; lag per node: ${perNode.join('; ')}; max ${ms(Math.max(...lags.flat()))}`,
    details: problems.slice(0, 5),
  };
}

/**
 * 3. Each webhook event delivered exactly once with job workers on every node: N short links made
 * through the balancer (so on every node), one webhook subscribed to them. Done when the receiver
 * has every event and the queue holds no job that could still deliver one; then each event id must
 * have arrived exactly once, signed, and the deliveries table must say the same.
 */
export async function webhooksExactlyOnce(c: Cluster): Promise<Check> {
  const events = c.short ? 60 : 200;
  const created = await gqlOk(
    c.lb,
    c.adminKey,
    'mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id } secret } }',
    {
      input: { url: c.receiver.url, events: ['shortLink.created'] },
    },
  );
  const webhookId = (created.createWebhook.webhook as { id: string }).id;
  c.receiver.verifyWith(created.createWebhook.secret as string);
  const started = performance.now();
  const answers: Answer[] = [];
  await loadLoops(
    8,
    (i) => i >= events,
    (i) =>
      c.lb.post(
        CREATE_LINK,
        { input: { url: `https://example.com/${i}`, slug: nextSlug('wh') } },
        { 'x-api-key': c.loadKeys[i % c.loadKeys.length] },
      ),
    (a) => answers.push(a),
  );
  const made = answers.filter(succeeded).length;
  await until(`${made} webhook events at the receiver`, () => c.receiver.received.size >= made);
  const drainedMs = performance.now() - started;
  await until('the delivery queue to hold nothing left to run', async () => {
    const { rows } = await c.db.query<{ n: string }>(
      `SELECT (SELECT count(*) FROM pgboss.job WHERE name = 'webhook-delivery' AND state IN ('created', 'retry', 'active'))
            + (SELECT count(*) FROM webhook_events WHERE org_id = $1 AND dispatched_at IS NULL) AS n`,
      [c.orgId],
    );
    return rows[0].n === '0';
  });
  const { rows: eventRows } = await c.db.query<{ id: string }>(
    `SELECT id FROM webhook_events WHERE org_id = $1 AND type = 'shortLink.created'`,
    [c.orgId],
  );
  const { rows: deliveryRows } = await c.db.query<{ rows: string; events: string; succeeded: string }>(
    `SELECT count(*) AS rows, count(DISTINCT event_id) AS events, count(*) FILTER (WHERE succeeded) AS succeeded
       FROM webhook_deliveries WHERE webhook_id = $1`,
    [webhookId],
  );
  await gqlOk(c.lb, c.adminKey, 'mutation($id: ID!) { deleteWebhook(id: $id) }', { id: webhookId });
  const duplicates = [...c.receiver.received.values()].filter((n) => n > 1).length;
  const missing = eventRows.filter((e) => !c.receiver.received.has(e.id)).length;
  const foreign = [...c.receiver.received.keys()].filter((id) => !eventRows.some((e) => e.id === id)).length;
  const d = deliveryRows[0];
  const ok =
    made === events &&
    eventRows.length === events &&
    c.receiver.received.size === events &&
    duplicates === 0 &&
    missing === 0 &&
    foreign === 0 &&
    c.receiver.badSignatures === 0 &&
    d.rows === String(events) &&
    d.events === String(events) &&
    d.succeeded === String(events);
  return {
    name: 'webhooks',
    ok,
    line:
      `${made} shortLink.created events (links made ${byNode(answers)}), workers on ${c.nodes.length} nodes: receiver got ` +
      `${c.receiver.received.size} distinct event ids in ${c.receiver.deliveries} deliveries (${duplicates} twice, ${missing} missing, ` +
      `${c.receiver.badSignatures} bad signatures), all within ${(drainedMs / 1000).toFixed(1)} s; webhook_deliveries: ${d.rows} rows, ` +
      `${d.events} events, ${d.succeeded} succeeded`,
    details: answers
      .filter((a) => !succeeded(a))
      .slice(0, 5)
      .map(describe),
  };
}

/** Reads and mutations through the balancer, until `stop()`; counts every answer and keeps the acknowledged slugs. */
function mixedLoad(c: Cluster, concurrency: number, mutationsOnly: boolean, phase: string) {
  const answers: Answer[] = [];
  const acknowledged: string[] = [];
  /** Slugs of mutations without an acknowledgement: in flight when something failed. */
  const failedSlugs: string[] = [];
  const failures: Answer[] = [];
  let stopped = false;
  const done = loadLoops(
    concurrency,
    () => stopped,
    async (i) => {
      const key = { 'x-api-key': c.loadKeys[i % c.loadKeys.length] };
      const kind = mutationsOnly ? 2 : i % 3;
      if (kind === 0) return c.lb.post(VIEWER, {}, key);
      if (kind === 1) return c.lb.post(LIST_LINKS, {}, key);
      const slug = nextSlug(phase);
      const answer = await c.lb.post(CREATE_LINK, { input: { url: 'https://example.com/', slug } }, key);
      (succeeded(answer) ? acknowledged : failedSlugs).push(slug);
      return answer;
    },
    (a) => {
      answers.push(a);
      if (!succeeded(a)) failures.push(a);
    },
  );
  return {
    answers,
    acknowledged,
    failedSlugs,
    failures,
    /** Waits until `n` more answers have come than when called (an event: the load is flowing). */
    async flowing(n: number) {
      const target = answers.length + n;
      await until(`${n} more answers under load`, () => answers.length >= target);
    },
    async stop() {
      stopped = true;
      await done;
    },
  };
}

/** How many of `slugs` PostgreSQL has. */
async function stored(c: Cluster, slugList: string[]): Promise<number> {
  const { rows } = await c.db.query<{ n: string }>('SELECT count(*) AS n FROM short_links WHERE slug = ANY($1)', [slugList]);
  return Number(rows[0].n);
}

/**
 * 4. Rolling restart under load: each node in turn gets SIGTERM (its drain takes it out of HAProxy
 * while it still serves), exits 0, starts again and is back in HAProxy before the next. Not one
 * request may fail: every answer a 200 with data and no error, no connection reset.
 */
export async function rollingRestart(c: Cluster): Promise<Check> {
  const load = mixedLoad(c, 8, false, 'rr');
  const steps: string[] = [];
  const exits: (number | null)[] = [];
  try {
    await load.flowing(50);
    for (const node of c.nodes) {
      const t0 = performance.now();
      node.child!.kill('SIGTERM');
      await c.haproxy.waitFor(node.name, 'DOWN');
      const out = performance.now();
      exits.push(await node.exited);
      const exited = performance.now();
      await node.start();
      await c.haproxy.waitFor(node.name, 'UP');
      steps.push(
        `${node.name} out of HAProxy ${ms(out - t0)}, exit ${exits.at(-1)} at ${ms(exited - t0)}, back in at ${ms(performance.now() - t0)}`,
      );
      await load.flowing(50);
    }
  } finally {
    await load.stop();
  }
  const mutations = load.acknowledged.length;
  const kept = await stored(c, load.acknowledged);
  const ok = load.failures.length === 0 && exits.every((e) => e === 0) && kept === mutations;
  return {
    name: 'rolling restart',
    ok,
    line:
      `${c.nodes.length} nodes SIGTERMed in turn under 8 connections: ${load.answers.length} requests (${mutations} mutations, ` +
      `by ${byNode(load.answers)}), ${load.failures.length} failed; acknowledged links in PostgreSQL ${kept}/${mutations}; ${steps.join('; ')}`,
    details: load.failures.slice(0, 5).map(describe),
  };
}

/**
 * 5. kill -9 of one node under mutations through HAProxy. What may fail is what was in flight on
 * that node, and a request HAProxy sent on one of its pooled connections to it before marking it
 * down: at most HAProxy's connection cap for the node (maxconn) plus its idle connections to it. A new connection refused is
 * retried on another node (retry-on conn-failure), so it does not fail. Afterwards every
 * acknowledged mutation is in PostgreSQL.
 */
export async function killNine(c: Cluster): Promise<Check> {
  const concurrency = 12;
  const victim = c.nodes[1];
  const perPhase = c.short ? 60 : 200;
  const load = mixedLoad(c, concurrency, true, 'k9');
  let atKill = { scur: -1, idle: -1 };
  try {
    await load.flowing(perPhase);
    atKill = (await c.haproxy.stat()).get(victim.name) ?? atKill;
    await victim.kill9();
    await c.haproxy.waitFor(victim.name, 'DOWN');
    await load.flowing(perPhase);
  } finally {
    await load.stop();
  }
  const kept = await stored(c, load.acknowledged);
  // When a reused server connection dies mid-request HAProxy closes the client's connection without
  // an answer (as a keep-alive race would) and, as seen here, logs nothing for it: such a failure
  // names no node. Those HAProxy does answer (a 502) name theirs, and must name the victim.
  // A request sent after all of them, once logged, means HAProxy has logged what it will of theirs.
  const probe = await c.lb.post(VIEWER, {}, { 'x-api-key': c.adminKey });
  await until('HAProxy to log a request sent after the load', () => c.haproxy.log.has(probe.id));
  const failedOn = load.failures.map((a) => ({
    answer: a,
    ...(c.haproxy.log.get(a.id) ?? { node: 'unlogged', status: '', termination: '' }),
  }));
  const notVictim = failedOn.filter((f) => f.node !== victim.name && f.node !== 'unlogged');
  const cap = c.haproxy.maxconnPerNode;
  // In flight on the node (at most maxconn), or sent on one of HAProxy's idle connections to it
  // before HAProxy marked it down (each such connection fails once and is gone).
  const bound = cap + Math.max(0, atKill.idle);
  const ok = kept === load.acknowledged.length && load.failures.length <= bound && notVictim.length === 0;
  // The killed node is started again, so the cluster ends as it began.
  await victim.start();
  await c.haproxy.waitFor(victim.name, 'UP');
  return {
    name: 'kill -9',
    ok,
    line:
      `${victim.name} killed under ${concurrency} connections of createShortLink (HAProxy had ${atKill.scur} requests on it and ${atKill.idle} idle connections to it just before; at most ${bound} may fail: cap ${cap} + ${atKill.idle} idle): ` +
      `${load.answers.length} requests, ${load.acknowledged.length} acknowledged, ${kept} of them in PostgreSQL; ` +
      `${load.failures.length} failed (${failedOn.map((f) => (f.node === 'unlogged' ? `${describe(f.answer)} (not in HAProxy's log)` : `${describe(f.answer)}, on ${f.node} ${f.termination}`)).join('; ') || 'none'}); ` +
      `of the failed mutations ${await stored(c, load.failedSlugs)} were committed all the same`,
    details: notVictim.slice(0, 5).map((f) => `${describe(f.answer)} on ${f.node} (${f.termination})`),
  };
}
