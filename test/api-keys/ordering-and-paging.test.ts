import {
  ApiKeyCountDocument,
  ApiKeyTimestampsDocument,
  OrderedApiKeysDocument,
  type ApiKeyOrderField,
  type OrderDirection,
  type OrderedApiKeysQuery,
  ViewerPrincipalDocument,
} from '../generated/graphql';
import { expectError, expectOk } from '../support/expect';
import type { TestApp } from '../support/harness';
import { apiKeySuite, DAY_MS } from './helpers';

/**
 * apiKeys in every order, both directions, walked forward and backward page by page: each walk
 * visits exactly the rows SQL sorts, with NULLs (never used, never expires) last either way.
 */
let t: TestApp;
apiKeySuite((suite) => ({ t } = suite));

const TAG = 'order';
const ids: string[] = [];

interface Row {
  id: string;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
}

beforeAll(async () => {
  // 9 keys; names, last use and expiry in orders unrelated to creation, with NULLs and ties.
  const names = ['delta', 'Alpha', 'charlie', 'bravo', 'echo', 'alpha', 'foxtrot', 'golf', 'echo'];
  const base = Date.now() - 10 * DAY_MS;
  for (let i = 0; i < names.length; i++) {
    const { id } = await t.createKey({ stats: ['read'] }, { name: `${TAG} ${names[i]}` });
    ids.push(id);
    const lastUsed = i % 3 === 0 ? null : new Date(base + ((i * 7) % 5) * 3600_000);
    const expires = i % 4 === 1 ? null : new Date(Date.now() + (((i * 5) % 7) + 1) * DAY_MS);
    await t.sql('UPDATE api_keys SET created_at = $2, last_used_at = $3, expires_at = $4 WHERE id = $1', [
      id,
      new Date(base + i * 1000),
      lastUsed,
      expires,
    ]);
  }
  // Ties on last use: two keys used at the same instant.
  await t.sql('UPDATE api_keys SET last_used_at = $2 WHERE id = ANY($1)', [[ids[1], ids[2]], new Date(base)]);
});

const COLUMN: Record<ApiKeyOrderField, keyof Row> = {
  CREATED_AT: 'created_at',
  LAST_USED_AT: 'last_used_at',
  EXPIRES_AT: 'expires_at',
  NAME: 'name',
};

/** The order SQL gives: the column in `direction` with NULLs last, then id the same way. */
async function expected(field: ApiKeyOrderField, direction: OrderDirection): Promise<string[]> {
  const col = COLUMN[field];
  const rows: { id: string }[] = await t.dataSource.query(
    `SELECT id FROM api_keys WHERE name LIKE '${TAG} %' AND deleted_at IS NULL
      ORDER BY ${col} ${direction} NULLS LAST, id ${direction}`,
  );
  return rows.map((r) => r.id);
}

const filter = { search: TAG };

async function walkForward(field: ApiKeyOrderField, direction: OrderDirection, size: number): Promise<string[]> {
  const seen: string[] = [];
  let after: string | null = null;
  for (let guard = 0; guard < 20; guard++) {
    const page: OrderedApiKeysQuery['apiKeys'] = expectOk(
      await t.gql(OrderedApiKeysDocument, { first: size, after, orderBy: { field, direction }, filter }),
    ).apiKeys;
    seen.push(...page.nodes.map((n) => n.id));
    expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
    if (!page.pageInfo.hasNextPage) return seen;
    after = page.pageInfo.endCursor!;
  }
  throw new Error('paging did not end');
}

async function walkBackward(field: ApiKeyOrderField, direction: OrderDirection, size: number): Promise<string[]> {
  const pages: string[][] = [];
  let before: string | null = null;
  for (let guard = 0; guard < 20; guard++) {
    const page: OrderedApiKeysQuery['apiKeys'] = expectOk(
      await t.gql(OrderedApiKeysDocument, { last: size, before, orderBy: { field, direction }, filter }),
    ).apiKeys;
    pages.unshift(page.nodes.map((n) => n.id));
    expect(page.pageInfo.hasNextPage).toBe(before !== null);
    if (!page.pageInfo.hasPreviousPage) return pages.flat();
    before = page.pageInfo.startCursor!;
  }
  throw new Error('paging did not end');
}

const ORDERS = (['CREATED_AT', 'LAST_USED_AT', 'EXPIRES_AT', 'NAME'] as const).flatMap((f) =>
  (['ASC', 'DESC'] as const).map((d) => [f, d] as const),
);

describe.each(ORDERS)('orderBy %s %s', (field, direction) => {
  it('forward in pages of 2 visits exactly the SQL order', async () => {
    expect(await walkForward(field, direction, 2)).toEqual(await expected(field, direction));
  });

  it('backward in pages of 4 visits exactly the SQL order', async () => {
    expect(await walkBackward(field, direction, 4)).toEqual(await expected(field, direction));
  });
});

describe('paging details', () => {
  it('without orderBy: newest first, as before', async () => {
    expect(await walkForward('CREATED_AT', 'DESC', 3)).toEqual([...ids].reverse());
    const page = expectOk(await t.gql(OrderedApiKeysDocument, { filter })).apiKeys;
    expect(page.nodes.map((n) => n.id)).toEqual([...ids].reverse());
  });

  it('first: 0 answers the count and whether there is anything, with no nodes', async () => {
    const { result, count } = await t.countQueries(() => t.gql(ApiKeyCountDocument, { filter }));
    expect(expectOk(result).apiKeys).toEqual({ nodes: [], pageInfo: { hasNextPage: true, hasPreviousPage: false }, totalCount: 9 });
    expect(count).toBe(2);
    const none = expectOk(await t.gql(ApiKeyCountDocument, { filter: { search: 'no such key' } })).apiKeys;
    expect(none).toEqual({ nodes: [], pageInfo: { hasNextPage: false, hasPreviousPage: false }, totalCount: 0 });
  });

  it('forward and backward arguments together are refused', async () => {
    const res = await t.gql(OrderedApiKeysDocument, { first: 2, last: 2, filter });
    expect(expectError(res, 'BAD_USER_INPUT', 400).fields).toEqual({
      last: 'Page forward (first, after) or backward (last, before), not both.',
    });
  });

  it('a cursor from one ordering is refused in another', async () => {
    const page = expectOk(await t.gql(OrderedApiKeysDocument, { first: 2, orderBy: { field: 'NAME', direction: 'ASC' }, filter })).apiKeys;
    const res = await t.gql(OrderedApiKeysDocument, { first: 2, after: page.pageInfo.endCursor, filter });
    expect(expectError(res, 'BAD_USER_INPUT', 400).fields).toEqual({
      after: 'Invalid cursor: pass a cursor from a previous page of this same ordering.',
    });
  });

  it.each([-1, 101])('last %i is BAD_USER_INPUT on `last`', async (last) => {
    const res = await t.gql(OrderedApiKeysDocument, { last, filter });
    expect(expectError(res, 'BAD_USER_INPUT', 400).fields).toEqual({ last: 'last must be between 0 and 100.' });
  });
});

describe('updatedAt, rotatedAt, previousSecretExpiresAt', () => {
  const times = async (id: string) => expectOk(await t.gql(ApiKeyTimestampsDocument, { id })).apiKey!;

  it('a new key: updatedAt = createdAt, never rotated', async () => {
    const { id } = await t.createKey({ stats: ['read'] });
    const key = await times(id);
    expect(key.updatedAt).toBe(key.createdAt);
    expect(key.rotatedAt).toBeNull();
    expect(key.previousSecretExpiresAt).toBeNull();
  });

  it('a change moves updatedAt; a rotation with a grace period sets rotatedAt and the grace end; use moves neither', async () => {
    const created = await t.createKey({ stats: ['read'] });
    const before = await times(created.id);
    await t.app.services.apiKeys.update(t.owner.caller, created.id, { name: 'renamed' });
    const renamed = await times(created.id);
    expect(Date.parse(renamed.updatedAt)).toBeGreaterThan(Date.parse(before.updatedAt));
    expect(renamed.rotatedAt).toBeNull();

    const rotation = await t.app.services.apiKeys.rotate(t.owner.caller, created.id, 3600);
    const rotated = await times(created.id);
    expect(rotated.rotatedAt).toBe(rotated.updatedAt);
    expect(rotated.rotatedAt).toBe(rotation.apiKey.rotatedAt!.toISOString());
    const [secret] = await t.dataSource.query(
      'SELECT ends_at FROM api_key_secrets WHERE api_key_id = $1 AND ends_at IS NOT NULL ORDER BY ends_at DESC LIMIT 1',
      [created.id],
    );
    expect(rotated.previousSecretExpiresAt).toBe(secret.ends_at.toISOString());

    expectOk(await t.gql(ViewerPrincipalDocument, {}, { key: rotation.secret }));
    await t.app.services.usage.flush();
    const [used] = await t.dataSource.query('SELECT last_used_at FROM api_keys WHERE id = $1', [created.id]);
    expect(used.last_used_at).toBeInstanceOf(Date);
    expect((await times(created.id)).updatedAt).toBe(rotated.updatedAt);
  });

  it('a rotation with no grace period leaves no previous secret valid', async () => {
    const { id } = await t.createKey({ stats: ['read'] });
    await t.app.services.apiKeys.rotate(t.owner.caller, id, 0);
    expect((await times(id)).previousSecretExpiresAt).toBeNull();
  });
});

describe('totalCount', () => {
  const liveKeys = async () =>
    (await t.dataSource.query('SELECT count(*)::int AS n FROM api_keys WHERE org_id = $1 AND deleted_at IS NULL', [t.org.id]))[0].n;

  it('without a filter it is a counter the database keeps (one primary-key read), equal to the keys not deleted', async () => {
    const a = await t.createKey({ stats: ['read'] });
    await t.createKey({ stats: ['read'] });
    await t.app.services.apiKeys.delete(t.owner.caller, a.id);
    const b = await t.createKey({ stats: ['read'] });
    // Even a change made behind keygate's back keeps it right: the trigger sees every write.
    await t.sql('UPDATE api_keys SET deleted_at = now() WHERE id = $1', [b.id]);
    const { result, statements } = await t.countQueries(() => t.gql(ApiKeyCountDocument, {}));
    expect(expectOk(result).apiKeys.totalCount).toBe(await liveKeys());
    expect(statements.some((s) => s.includes('live_api_keys'))).toBe(true);
    expect(statements.some((s) => /count\(/i.test(s))).toBe(false);
  });

  it('with a filter it counts the matching keys', async () => {
    const { result, statements } = await t.countQueries(() => t.gql(ApiKeyCountDocument, { filter: { search: TAG } }));
    expect(expectOk(result).apiKeys.totalCount).toBe(9);
    expect(statements.some((s) => /count\(/i.test(s))).toBe(true);
  });
});

describe('deep pages', () => {
  it('a page after a cursor is one index range on (org_id, created_at, id), not a filter over every earlier row', async () => {
    const first = expectOk(await t.gql(OrderedApiKeysDocument, { first: 2, filter: {} })).apiKeys;
    const { statements } = await t.countQueries(() =>
      t.gql(OrderedApiKeysDocument, { first: 2, after: first.pageInfo.endCursor, filter: {} }),
    );
    const page = statements.find((s) => /ORDER BY/.test(s) && /LIMIT 3/.test(s));
    expect(page).toBeDefined();
    // A generic plan needs no parameter values; sequential scans off so the plan shows what the
    // index can take: the cursor must be in the Index Cond, not in a Filter after it.
    const runner = t.dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      await runner.query('SET LOCAL enable_seqscan = off');
      const [{ 'QUERY PLAN': plan }] = await runner.query(`EXPLAIN (GENERIC_PLAN, FORMAT JSON) ${page}`);
      const text = JSON.stringify(plan);
      expect(text).toContain('api_keys_org_created_idx');
      expect(text).toMatch(/"Index Cond":"[^"]*ROW\(created_at, id\) < ROW\(/);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  });
});
