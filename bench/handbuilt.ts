import { createHash } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';
import type { CapturedStatement } from './sql-counter';
import { reader, type Running } from './stacks/common';

/**
 * The hand-built limit: a bare Fastify route and a `pg` pool (the same size as keygate's) running
 * the SQL keygate ran for the same list — captured from keygate's own statements by the runner,
 * replayed with the same text and parameters — and building the same JSON by hand. It checks the
 * key like keygate's cache hit does (SHA-256 of the secret, one map lookup) and nothing else: no
 * GraphQL, no rate limit, no logging. The runner checks its answer is byte-identical to
 * keygate's before measuring it.
 */
export interface HandBuiltRoute {
  /** The exact GraphQL document text this route answers. */
  query: string;
  /** `viewer`: the key check, then a constant answer (no SQL). */
  list: 'apiKeys' | 'shortLinks' | 'viewer';
  statements: CapturedStatement[];
}

type Row = Record<string, unknown>;

const str = JSON.stringify;
const VIEWER_JSON = '{"data":{"viewer":{"kind":"API_KEY"}}}\n';

function byId(rows: Row[]): Map<unknown, Row> {
  const get = reader(rows);
  return new Map(rows.map((r) => [get(r, 'id'), r]));
}

/** keygate's list in one statement, relations joined under the aliases it uses (`ou.`, `cbu.`, `cbk.`). */
function apiKeysJoinedJson(list: Row[]): string {
  const get = reader(list);
  let out = '{"data":{"apiKeys":{"nodes":[';
  for (let i = 0; i < Math.min(list.length, 50); i++) {
    const row = list[i];
    const kind = get(row, 'created_by_kind');
    let createdBy = 'null';
    if (kind === 'USER' && row['cbu.id']) createdBy = `{"kind":"USER","name":${str(row['cbu.email'])}}`;
    else if (kind === 'API_KEY' && row['cbk.id'])
      createdBy = `{"kind":"API_KEY","name":${str(`${row['cbk.name']} (${row['cbk.prefix']})`)}}`;
    out +=
      (i ? ',' : '') +
      `{"id":${str(get(row, 'id'))},"name":${str(get(row, 'name'))},"owner":${row['ou.id'] ? `{"email":${str(row['ou.email'])}}` : 'null'},` +
      `"createdBy":${createdBy},"requestCount":${Number(row.requestCount ?? 0)}}`;
  }
  return out + ']}}}\n';
}

function apiKeysJson(list: Row[], others: { text: string; rows: Row[] }[]): string {
  if (!others.length && list.length && 'requestCount' in list[0]) return apiKeysJoinedJson(list);
  const find = (pattern: RegExp) => others.find((o) => pattern.test(o.text))?.rows ?? [];
  const users = byId(find(/FROM "users"/));
  const userGet = reader([...users.values()]);
  const actorKeys = byId(find(/FROM "api_keys"/));
  const actorGet = reader([...actorKeys.values()]);
  const usage = find(/api_key_usage/);
  const usageGet = reader(usage);
  const counts = new Map(usage.map((r) => [usageGet(r, 'api_key_id'), Number(usageGet(r, 'total'))]));
  const get = reader(list);
  let out = '{"data":{"apiKeys":{"nodes":[';
  for (let i = 0; i < Math.min(list.length, 50); i++) {
    const row = list[i];
    const id = get(row, 'id');
    const owner = users.get(get(row, 'owner_user_id'));
    const kind = get(row, 'created_by_kind');
    const creator = kind === 'USER' ? users.get(get(row, 'created_by_id')) : actorKeys.get(get(row, 'created_by_id'));
    let createdBy = 'null';
    if (creator && kind === 'USER') createdBy = `{"kind":"USER","name":${str(userGet(creator, 'email'))}}`;
    else if (creator) createdBy = `{"kind":"API_KEY","name":${str(`${actorGet(creator, 'name')} (${actorGet(creator, 'prefix')})`)}}`;
    out +=
      (i ? ',' : '') +
      `{"id":${str(id)},"name":${str(get(row, 'name'))},"owner":${owner ? `{"email":${str(userGet(owner, 'email'))}}` : 'null'},` +
      `"createdBy":${createdBy},"requestCount":${counts.get(id) ?? 0}}`;
  }
  // Apollo ends its JSON with a newline.
  return out + ']}}}\n';
}

function shortLinksJson(list: Row[], others: { text: string; rows: Row[] }[]): string {
  // The domains of the page: a second statement (TypeORM's loader) or joined under `d.`.
  const joined = !others.length && list.length > 0 && 'd.hostname' in list[0];
  const domainRows = joined
    ? list.filter((r) => r['d.id']).map((r) => ({ id: r['d.id'], hostname: r['d.hostname'] }))
    : (others.find((o) => /FROM "domains"/.test(o.text))?.rows ?? []);
  const domains = byId(domainRows);
  const domainGet = reader(domainRows);
  const get = reader(list);
  let out = '{"data":{"shortLinks":{"nodes":[';
  for (let i = 0; i < Math.min(list.length, 50); i++) {
    const row = list[i];
    const domain = domains.get(get(row, 'domain_id'));
    out +=
      (i ? ',' : '') +
      `{"id":${str(get(row, 'id'))},"slug":${str(get(row, 'slug'))},` +
      `"domain":${domain ? `{"hostname":${str(domainGet(domain, 'hostname'))}}` : 'null'},"clicks":${Number(get(row, 'click_count'))}}`;
  }
  return out + ']}}}\n';
}

export async function startHandBuilt(env: NodeJS.ProcessEnv): Promise<Running> {
  const routes = JSON.parse(env.BENCH_HANDBUILT ?? '[]') as HandBuiltRoute[];
  const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: Number(env.DB_POOL_SIZE ?? 10) });
  const hashes = new Set(
    (await pool.query<{ secret_hash: string }>('SELECT secret_hash FROM api_key_secrets WHERE ends_at IS NULL')).rows.map(
      (r) => r.secret_hash,
    ),
  );
  const byQuery = new Map(routes.map((r) => [r.query, r]));
  const server = Fastify({ logger: false });
  server.post('/graphql', async (request, reply) => {
    const key = request.headers['x-api-key'];
    if (typeof key !== 'string' || !hashes.has(createHash('sha256').update(key).digest('hex'))) {
      return reply.code(401).type('application/json; charset=utf-8').send('{"errors":[{"message":"unauthenticated"}]}');
    }
    const route = byQuery.get((request.body as { query?: string } | undefined)?.query ?? '');
    if (!route) return reply.code(400).send({ error: 'unknown query' });
    if (route.list === 'viewer') return reply.type('application/json; charset=utf-8').send(VIEWER_JSON);
    const [first, ...rest] = route.statements;
    // The list, then the loaders' statements together, as keygate's DataLoaders send them.
    const list = (await pool.query(first.text, first.values)).rows as Row[];
    const others = await Promise.all(rest.map(async (s) => ({ text: s.text, rows: (await pool.query(s.text, s.values)).rows as Row[] })));
    const body = route.list === 'apiKeys' ? apiKeysJson(list, others) : shortLinksJson(list, others);
    return reply.type('application/json; charset=utf-8').send(body);
  });
  await server.listen({ host: '127.0.0.1', port: 0 });
  return {
    port: (server.server.address() as { port: number }).port,
    async close() {
      await server.close();
      await pool.end();
    },
  };
}
