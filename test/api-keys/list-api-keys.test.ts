import { Role } from '../../src/kernel/access';
import { ApiKeyType } from '../../src/auth/api-key-states';
import {
  ApiKeyDocument,
  type ApiKeyFilter,
  ApiKeyPageDocument,
  ApiKeysDocument,
  ApiKeysWithUsageDocument,
  ApiKeyUsageDocument,
  ViewerDocument,
  ViewerPrincipalDocument,
} from '../generated/graphql';
import { expectError, expectForbidden, expectOk, expectUnauthenticated } from '../support/expect';
import type { Auth, Member, OtherOrganization, TestApp } from '../support/harness';
import { allBut, apiKeySuite, countRows, DAY_MS, deletedKeyId, expectNear, MISSING_ID } from './helpers';

let t: TestApp;
let other: OtherOrganization;
apiKeySuite((suite) => ({ t, other } = suite));

const INVALID_CURSOR = { after: 'Invalid cursor: pass a cursor from a previous page of this same ordering.' };
const BAD_FIRST = { first: 'first must be between 0 and 100.' };

/**
 * Creates `n` keys named `${tag} 0..n-1` whose created_at is one second apart (key n-1 newest),
 * so "newest first" has one right answer. Returns ids in creation order.
 */
async function seed(tag: string, n: number, options: { sameInstant?: boolean } = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await t.createKey({ stats: ['read'] }, { name: `${tag} ${i}` })).id);
  const base = Date.now() - 3600_000;
  for (let i = 0; i < n; i++) {
    await t.sql('UPDATE api_keys SET created_at = $2 WHERE id = $1', [ids[i], new Date(options.sameInstant ? base : base + i * 1000)]);
  }
  return ids;
}

const page = (variables: { first?: number | null; after?: string | null; filter?: ApiKeyFilter }, auth: Auth = { key: t.rootKey }) =>
  t.gql(ApiKeyPageDocument, variables, auth);

const names = async (filter: ApiKeyFilter, auth?: Auth) =>
  expectOk(await page({ first: 100, filter }, auth))
    .apiKeys.nodes.map((n) => n.name)
    .sort();

describe('apiKeys: order and pagination', () => {
  it('lists newest first; edges mirror nodes, each with its own cursor; endCursor is the last edge’s', async () => {
    const ids = await seed('order', 4);
    const conn = expectOk(await page({ filter: { search: 'order' } })).apiKeys;
    expect(conn.nodes.map((n) => n.id)).toEqual([...ids].reverse());
    expect(conn.edges.map((e) => e.node.id)).toEqual(conn.nodes.map((n) => n.id));
    expect(new Set(conn.edges.map((e) => e.cursor)).size).toBe(4);
    expect(conn.pageInfo).toEqual({ hasNextPage: false, endCursor: conn.edges[3].cursor });
    expect(conn.totalCount).toBe(4);
    const times = conn.nodes.map((n) => new Date(n.createdAt).getTime());
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('walks every page without gaps or duplicates; totalCount is the whole match on every page', async () => {
    const ids = await seed('walk', 7);
    const seen: string[] = [];
    const hasNext: boolean[] = [];
    let after: string | null = null;
    for (let i = 0; i < 3; i++) {
      const conn: any = expectOk(await page({ first: 3, after, filter: { search: 'walk' } })).apiKeys;
      expect(conn.totalCount).toBe(7);
      seen.push(...conn.nodes.map((n: { id: string }) => n.id));
      hasNext.push(conn.pageInfo.hasNextPage);
      after = conn.pageInfo.endCursor;
    }
    expect(seen).toEqual([...ids].reverse());
    expect(hasNext).toEqual([true, true, false]);
    // Past the end: an empty page, not an error.
    const past = expectOk(await page({ first: 3, after, filter: { search: 'walk' } })).apiKeys;
    expect(past).toMatchObject({ nodes: [], edges: [], pageInfo: { hasNextPage: false, endCursor: null }, totalCount: 7 });
  });

  it('a page that ends exactly on the last key says hasNextPage false', async () => {
    await seed('exact', 4);
    const p1 = expectOk(await page({ first: 2, filter: { search: 'exact' } })).apiKeys;
    expect(p1.pageInfo.hasNextPage).toBe(true);
    const p2 = expectOk(await page({ first: 2, after: p1.pageInfo.endCursor, filter: { search: 'exact' } })).apiKeys;
    expect(p2.nodes.map((n) => n.name)).toEqual(['exact 1', 'exact 0']);
    expect(p2.pageInfo.hasNextPage).toBe(false);
  });

  it('cursors are stable: keys added in front, and the cursor’s own key deleted, do not shift the next page', async () => {
    const ids = await seed('stable', 6);
    const p1 = expectOk(await page({ first: 3, filter: { search: 'stable' } })).apiKeys;
    expect(p1.nodes.map((n) => n.id)).toEqual([ids[5], ids[4], ids[3]]);
    await t.createKey({ stats: ['read'] }, { name: 'stable newest' });
    await t.createKey({ stats: ['read'] }, { name: 'stable newest 2' });
    await t.app.services.apiKeys.delete(t.owner.caller, ids[3]); // the key the cursor points at
    const p2 = expectOk(await page({ first: 3, after: p1.pageInfo.endCursor, filter: { search: 'stable' } })).apiKeys;
    expect(p2.nodes.map((n) => n.id)).toEqual([ids[2], ids[1], ids[0]]);
    expect(p2.pageInfo.hasNextPage).toBe(false);
    expect(p2.totalCount).toBe(7);
  });

  it('any edge’s cursor resumes right after that edge', async () => {
    const ids = await seed('resume', 5);
    const conn = expectOk(await page({ first: 5, filter: { search: 'resume' } })).apiKeys;
    const next = expectOk(await page({ first: 2, after: conn.edges[1].cursor, filter: { search: 'resume' } })).apiKeys;
    expect(next.nodes.map((n) => n.id)).toEqual([ids[2], ids[1]]);
    expect(next.pageInfo.hasNextPage).toBe(true);
  });

  it('keys created at the same instant are ordered by id (descending) and each is visited exactly once', async () => {
    const ids = await seed('tie', 5, { sameInstant: true });
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 5; i++) {
      const conn: any = expectOk(await page({ first: 1, after, filter: { search: 'tie' } })).apiKeys;
      expect(conn.nodes).toHaveLength(1);
      seen.push(conn.nodes[0].id);
      expect(conn.pageInfo.hasNextPage).toBe(i < 4);
      after = conn.pageInfo.endCursor;
    }
    expect(seen).toEqual([...ids].sort().reverse());
  });

  it('first defaults to 20 and accepts 1 through 100', async () => {
    await seed('many', 25);
    const byDefault = expectOk(await page({ filter: { search: 'many' } })).apiKeys;
    expect(byDefault.nodes).toHaveLength(20);
    expect(byDefault.pageInfo.hasNextPage).toBe(true);
    expect(byDefault.totalCount).toBe(25);
    expect(expectOk(await page({ first: null, filter: { search: 'many' } })).apiKeys.nodes).toHaveLength(20);
    expect(expectOk(await page({ first: 1, filter: { search: 'many' } })).apiKeys.nodes).toHaveLength(1);
    const all = expectOk(await page({ first: 100, filter: { search: 'many' } })).apiKeys;
    expect(all.nodes).toHaveLength(25);
    expect(all.pageInfo.hasNextPage).toBe(false);
  });

  it('totalCount with no filter counts every live key of the organization, and only those', async () => {
    const expected = await countRows(t, 'SELECT 1 FROM api_keys WHERE org_id = $1 AND deleted_at IS NULL', [t.org.id]);
    expect(expectOk(await page({ first: 1 })).apiKeys.totalCount).toBe(expected);
  });
});

describe('apiKeys: bad input', () => {
  it.each([-1, 101, 1000])('first %i is BAD_USER_INPUT on `first`', async (first) => {
    const res = await page({ first });
    expect(expectError(res, 'BAD_USER_INPUT', 400).fields).toEqual(BAD_FIRST);
    expect(res.body.data).toBeNull();
  });

  const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
  it.each([
    ['not base64 JSON', 'forged'],
    ['punctuation', '!!!'],
    ['an object', b64({})],
    ['an empty array', b64([])],
    ['a bad date', b64(['createdAt', 'not a date', MISSING_ID])],
    ['a bad id', b64(['createdAt', '2026-01-01T00:00:00.000Z', 'not-a-uuid'])],
    ['an SQL-ish id', b64(['createdAt', '2026-01-01T00:00:00.000Z', "x' OR '1'='1"])],
    ['a cursor of another ordering', b64(['name', 'ci key', MISSING_ID])],
    ['a NULL where the ordering has none', b64(['createdAt', null, MISSING_ID])],
  ])('an invalid cursor (%s) is BAD_USER_INPUT on `after`', async (_case, after) => {
    const res = await page({ first: 5, after });
    expect(expectError(res, 'BAD_USER_INPUT', 400).fields).toEqual(INVALID_CURSOR);
  });

  it('a forged cursor whose date PostgreSQL cannot store is BAD_USER_INPUT on `after`, not an internal error', async () => {
    const res = await page({ first: 5, after: b64(['createdAt', '-200000-01-01T00:00:00.000Z', MISSING_ID]) });
    expect(expectError(res, 'BAD_USER_INPUT', 400).fields).toEqual(INVALID_CURSOR);
  });

  it.each([0, -3, 366])('expiringWithinDays %i is BAD_USER_INPUT on `filter.expiringWithinDays`', async (days) => {
    const res = await page({ filter: { expiringWithinDays: days } });
    expect(expectError(res, 'BAD_USER_INPUT', 400).fields).toEqual({
      'filter.expiringWithinDays': 'expiringWithinDays must be between 1 and 365.',
    });
  });

  it('a search longer than 100 characters is BAD_USER_INPUT on `filter.search`', async () => {
    const res = await page({ filter: { search: 's'.repeat(101) } });
    expect(expectError(res, 'BAD_USER_INPUT', 400).fields).toEqual({ 'filter.search': 'search is at most 100 characters.' });
  });

  it('a search containing a NUL character is BAD_USER_INPUT on `filter.search`, not an internal error', async () => {
    const res = await page({ filter: { search: 'nul\u0000byte' } });
    expect(expectError(res, 'BAD_USER_INPUT', 400).fields).toHaveProperty(['filter.search']);
  });

  it('a status outside the enum is refused by GraphQL validation (400 BAD_USER_INPUT)', async () => {
    expectError(await page({ filter: { status: 'DELETED' as never } }), 'BAD_USER_INPUT', 400);
  });
});

describe('apiKeys: filters', () => {
  let adminA: Member;
  let adminB: Member;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    adminA = await t.addMember('filter-a@acme.test', Role.ADMIN);
    adminB = await t.addMember('filter-b@acme.test', Role.ADMIN);
    const make = async (label: string, opts: Parameters<TestApp['createKey']>[1] = {}) =>
      (ids[label] = (await t.createKey({ stats: ['read'] }, { name: `flt ${label}`, ...opts })).id);
    await make('active');
    await make('inactive');
    await make('revoked');
    await make('expired', { expiresInDays: 5 });
    await make('inactive-expired', { expiresInDays: 5 });
    await make('soon', { expiresInDays: 3 });
    await make('later', { expiresInDays: 30 });
    await make('deleted');
    await make('user-a', { type: ApiKeyType.USER, by: adminA });
    await make('user-b', { type: ApiKeyType.USER, by: adminB });
    const keys = t.app.services.apiKeys;
    await keys.setStatus(t.owner.caller, ids.inactive, 'INACTIVE' as never);
    await keys.setStatus(t.owner.caller, ids['inactive-expired'], 'INACTIVE' as never);
    await keys.revoke(t.owner.caller, ids.revoked, 'filter test');
    await keys.delete(t.owner.caller, ids.deleted);
    await t.sql(`UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = ANY($1::uuid[])`, [
      [ids.expired, ids['inactive-expired']],
    ]);
  });

  const flt = (...labels: string[]) => labels.map((l) => `flt ${l}`).sort();

  it('no filter but the search: every live key, deleted ones absent', async () => {
    expect(await names({ search: 'flt' })).toEqual(
      flt('active', 'inactive', 'revoked', 'expired', 'inactive-expired', 'soon', 'later', 'user-a', 'user-b'),
    );
  });

  it.each([
    ['ACTIVE', ['active', 'soon', 'later', 'user-a', 'user-b']],
    ['INACTIVE', ['inactive']],
    ['REVOKED', ['revoked']],
    ['EXPIRED', ['expired', 'inactive-expired']],
  ] as const)('status %s lists exactly the keys that report that status', async (status, labels) => {
    const conn = expectOk(await page({ first: 100, filter: { search: 'flt', status } })).apiKeys;
    expect(conn.nodes.map((n) => n.name).sort()).toEqual(flt(...labels));
    expect(conn.nodes.every((n) => n.status === status)).toBe(true);
    expect(conn.totalCount).toBe(labels.length);
  });

  it('type USER and BOT', async () => {
    expect(await names({ search: 'flt', type: 'USER' })).toEqual(flt('user-a', 'user-b'));
    expect(await names({ search: 'flt', type: 'BOT' })).toEqual(
      flt('active', 'inactive', 'revoked', 'expired', 'inactive-expired', 'soon', 'later'),
    );
  });

  it('ownerId: only that user’s keys; a malformed id is an empty page, not an error', async () => {
    const conn = expectOk(await page({ first: 100, filter: { ownerId: adminA.userId } })).apiKeys;
    expect(conn.nodes.map((n) => [n.name, n.owner?.id])).toEqual([['flt user-a', adminA.userId]]);
    expect(await names({ ownerId: adminB.userId })).toEqual(flt('user-b'));
    expect(await names({ ownerId: MISSING_ID })).toEqual([]);
    expect(expectOk(await page({ filter: { ownerId: 'not-a-uuid' } })).apiKeys.totalCount).toBe(0);
  });

  it('expiringWithinDays: keys that expire in the window, not expired ones or keys without expiry', async () => {
    expect(await names({ search: 'flt', expiringWithinDays: 1 })).toEqual([]);
    expect(await names({ search: 'flt', expiringWithinDays: 7 })).toEqual(flt('soon'));
    expect(await names({ search: 'flt', expiringWithinDays: 31 })).toEqual(flt('soon', 'later'));
    expect(await names({ search: 'flt', expiringWithinDays: 365 })).toEqual(flt('soon', 'later'));
  });

  it('expiringWithinDays returns only keys that will expire: not revoked, not deleted; INACTIVE ones included', async () => {
    const make = async (label: string) => (await t.createKey({ stats: ['read'] }, { name: `exp ${label}`, expiresInDays: 3 })).id;
    const active = await make('active');
    const inactive = await make('inactive');
    const revoked = await make('revoked');
    const deleted = await make('deleted');
    const keys = t.app.services.apiKeys;
    await keys.setStatus(t.owner.caller, inactive, 'INACTIVE' as never);
    await keys.revoke(t.owner.caller, revoked, 'expiring filter test');
    await keys.delete(t.owner.caller, deleted);
    const conn = expectOk(await page({ first: 100, filter: { search: 'exp ', expiringWithinDays: 7 } })).apiKeys;
    expect(conn.nodes.map((n) => n.id).sort()).toEqual([active, inactive].sort());
    expect(conn.totalCount).toBe(2);
    // Revoked keys are still listed by their own filter, so nothing disappears from view.
    expect(expectOk(await page({ first: 100, filter: { search: 'exp ', status: 'REVOKED' } })).apiKeys.nodes.map((n) => n.id)).toEqual([
      revoked,
    ]);
  });

  it('filters combine with AND', async () => {
    expect(await names({ search: 'flt', status: 'ACTIVE', type: 'USER' })).toEqual(flt('user-a', 'user-b'));
    expect(await names({ search: 'flt', status: 'ACTIVE', type: 'BOT', expiringWithinDays: 31 })).toEqual(flt('soon', 'later'));
    expect(await names({ search: 'flt', status: 'INACTIVE', type: 'USER' })).toEqual([]);
    expect(await names({ search: 'flt user', ownerId: adminB.userId, status: 'ACTIVE' })).toEqual(flt('user-b'));
  });

  it('the nodes report each key’s own status', async () => {
    const conn = expectOk(await page({ first: 100, filter: { search: 'flt' } })).apiKeys;
    const status = Object.fromEntries(conn.nodes.map((n) => [n.name, n.status]));
    expect(status).toEqual({
      'flt active': 'ACTIVE',
      'flt inactive': 'INACTIVE',
      'flt revoked': 'REVOKED',
      'flt expired': 'EXPIRED',
      'flt inactive-expired': 'EXPIRED',
      'flt soon': 'ACTIVE',
      'flt later': 'ACTIVE',
      'flt user-a': 'ACTIVE',
      'flt user-b': 'ACTIVE',
    });
  });
});

describe('apiKeys: search', () => {
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    for (const name of ['Srch Deploy CI', 'srch_under_score', 'srchunderXscore', 'srch100% done', 'srch100 done', 'srch back\\slash']) {
      ids[name] = (await t.createKey({ stats: ['read'] }, { name })).id;
    }
  });

  it('matches part of the name, case-insensitively, ignoring surrounding blanks', async () => {
    expect(await names({ search: 'deploy ci' })).toEqual(['Srch Deploy CI']);
    expect(await names({ search: '  DEPLOY  ' })).toEqual(['Srch Deploy CI']);
  });

  it('LIKE wildcards in the search are literal characters', async () => {
    expect(await names({ search: 'srch_under' })).toEqual(['srch_under_score']);
    expect(await names({ search: 'srch100%' })).toEqual(['srch100% done']);
    expect(await names({ search: 'under_score' })).toEqual(['srch_under_score']);
    expect(await names({ search: '%' })).toEqual(['srch100% done']);
    expect(await names({ search: '\\' })).toEqual(['srch back\\slash']);
  });

  it('matches an exact display prefix (not a part of one)', async () => {
    const [{ prefix }] = await t.dataSource.query('SELECT prefix FROM api_keys WHERE id = $1', [ids['Srch Deploy CI']]);
    const exact = expectOk(await page({ first: 100, filter: { search: prefix } })).apiKeys.nodes;
    expect(exact.map((n) => n.id)).toContain(ids['Srch Deploy CI']);
    expect(exact.every((n) => n.prefix === prefix)).toBe(true);
    const partial = expectOk(await page({ first: 100, filter: { search: prefix.slice(0, 11) } })).apiKeys.nodes;
    expect(partial.map((n) => n.id)).not.toContain(ids['Srch Deploy CI']);
  });

  it('a blank search is no filter', async () => {
    const all = expectOk(await page({ first: 1 })).apiKeys.totalCount;
    expect(expectOk(await page({ first: 1, filter: { search: '   ' } })).apiKeys.totalCount).toBe(all);
  });

  it('no match is an empty page', async () => {
    expect(expectOk(await page({ filter: { search: 'no key is called this' } })).apiKeys).toMatchObject({
      nodes: [],
      totalCount: 0,
      pageInfo: { hasNextPage: false, endCursor: null },
    });
  });
});

describe('apiKeys and apiKey(id): security', () => {
  it('apiKeys and apiKey(id) need apiKeys:read: FORBIDDEN for a key holding everything else', async () => {
    const key = await t.createKey(allBut('apiKeys', 'read'), { name: 'all but read' });
    expectForbidden(await t.gql(ApiKeysDocument, {}, { key: key.secret }), 'apiKeys:read');
    expectForbidden(await t.gql(ApiKeyDocument, { id: key.id }, { key: key.secret }), 'apiKeys:read');
  });

  it.each([Role.MEMBER, Role.VIEWER])('a signed-in %s cannot list keys', async (role) => {
    const member = await t.addMember(`lister-${role.toLowerCase()}@acme.test`, role);
    expectForbidden(await t.gql(ApiKeysDocument, {}, { token: member.token }), 'apiKeys:read');
  });

  it('without credentials: 401 MISSING', async () => {
    expectUnauthenticated(await t.gql(ApiKeysDocument, {}, null), 'MISSING');
  });

  it('another organization’s keys are absent from our lists, whatever the filter', async () => {
    const theirs = expectOk(await t.gql(ViewerDocument, {}, { key: other.rootKey })).viewer.apiKey!;
    const [{ prefix }] = await t.dataSource.query('SELECT prefix FROM api_keys WHERE id = $1', [theirs.id]);
    const ours = await countRows(t, 'SELECT 1 FROM api_keys WHERE org_id = $1 AND deleted_at IS NULL', [t.org.id]);
    const all = expectOk(await page({ first: 100 })).apiKeys;
    expect(all.totalCount).toBe(ours);
    expect(all.nodes.map((n) => n.id)).not.toContain(theirs.id);
    expect(expectOk(await page({ filter: { search: prefix } })).apiKeys.nodes.map((n) => n.id)).not.toContain(theirs.id);
    expect(expectOk(await page({ filter: { ownerId: other.owner.userId } })).apiKeys.totalCount).toBe(0);
  });

  it('and they see none of ours', async () => {
    const mine = await t.createKey({ stats: ['read'] }, { name: 'cross-org visible?' });
    const theirs = expectOk(await page({ first: 100 }, { key: other.rootKey })).apiKeys;
    expect(theirs.nodes.map((n) => n.id)).not.toContain(mine.id);
    expect(theirs.totalCount).toBe(await countRows(t, 'SELECT 1 FROM api_keys WHERE org_id = $1 AND deleted_at IS NULL', [other.org.id]));
    expect(expectOk(await page({ filter: { search: 'cross-org visible' } }, { key: other.rootKey })).apiKeys.totalCount).toBe(0);
    expect(expectOk(await page({ filter: { ownerId: t.owner.userId } }, { key: other.rootKey })).apiKeys.totalCount).toBe(0);
  });

  it('apiKey(id) of another organization’s key answers exactly like a nonexistent id: null, 200, no error', async () => {
    const mine = await t.createKey({ stats: ['read'] }, { name: 'not yours' });
    const foreign = await t.gql(ApiKeyDocument, { id: mine.id }, { key: other.rootKey });
    const missing = await t.gql(ApiKeyDocument, { id: MISSING_ID }, { key: other.rootKey });
    expect(foreign.status).toBe(200);
    expect(foreign.body).toEqual({ data: { apiKey: null } });
    expect(foreign.body).toEqual(missing.body);
  });
});

describe('apiKey(id)', () => {
  it('returns the same key as the list does', async () => {
    const key = await t.createKey({ stats: ['read'], shortLinks: ['read'] }, { name: 'looked up', expiresInDays: 9 });
    const one = expectOk(await t.gql(ApiKeyDocument, { id: key.id })).apiKey;
    const listed = expectOk(await t.gql(ApiKeysDocument, { first: 100, filter: { search: 'looked up' } })).apiKeys.nodes;
    expect(listed).toEqual([one]);
    expect(one).toMatchObject({
      id: key.id,
      name: 'looked up',
      type: 'BOT',
      status: 'ACTIVE',
      permissions: { scopes: ['shortLinks:read', 'stats:read'] },
    });
    expectNear(one!.expiresAt, Date.now() + 9 * DAY_MS);
  });

  it('a revoked key is still found, with status REVOKED', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'found revoked' });
    await t.app.services.apiKeys.revoke(t.owner.caller, key.id, null);
    expect(expectOk(await t.gql(ApiKeyDocument, { id: key.id })).apiKey?.status).toBe('REVOKED');
  });

  it.each([
    ['a nonexistent id', async () => MISSING_ID],
    ['a malformed id', async () => 'not-a-uuid'],
    ['an empty id', async () => ''],
    ['a deleted key', () => deletedKeyId(t, 'deleted lookup')],
  ])('null for %s (200, no error)', async (_case, id) => {
    const res = await t.gql(ApiKeyDocument, { id: await id() });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { apiKey: null } });
  });
});

describe('usage(days) and requestCount', () => {
  const today = () => new Date().toISOString().slice(0, 10);
  const daysAgo = (n: number) => new Date(Date.parse(`${today()}T00:00:00Z`) - n * DAY_MS).toISOString().slice(0, 10);

  it('a fresh key: zero-filled, one entry per UTC day, oldest first, ending today; default 30 days', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'fresh usage' });
    const week = expectOk(await t.gql(ApiKeyUsageDocument, { id: key.id, days: 7 })).apiKey!;
    expect(week.usage).toEqual([6, 5, 4, 3, 2, 1, 0].map((n) => ({ day: daysAgo(n), requests: 0 })));
    expect(week.requestCount).toBe(0);
    expect(week.lastUsedAt).toBeNull();
    const byDefault = expectOk(await t.gql(ApiKeyUsageDocument, { id: key.id })).apiKey!;
    expect(byDefault.usage).toHaveLength(30);
    expect(byDefault.usage[0].day).toBe(daysAgo(29));
    expect(byDefault.usage[29]).toEqual({ day: today(), requests: 0 });
  });

  it('requests are counted in memory and appear after t.app.services.usage.flush(): requestCount, today’s usage, lastUsedAt', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'busy' });
    for (let i = 0; i < 3; i++) expectOk(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }));
    const before = expectOk(await t.gql(ApiKeyUsageDocument, { id: key.id, days: 2 })).apiKey!;
    expect(before).toMatchObject({
      requestCount: 0,
      lastUsedAt: null,
      usage: [
        { day: daysAgo(1), requests: 0 },
        { day: today(), requests: 0 },
      ],
    });

    const usedAt = Date.now();
    await t.app.services.usage.flush();
    const after = expectOk(await t.gql(ApiKeyUsageDocument, { id: key.id, days: 2 })).apiKey!;
    expect(after.requestCount).toBe(3);
    expect(after.usage).toEqual([
      { day: daysAgo(1), requests: 0 },
      { day: today(), requests: 3 },
    ]);
    expectNear(after.lastUsedAt, usedAt, 10_000);
  });

  it('counts accumulate across flushes', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'accumulating' });
    expectOk(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }));
    await t.app.services.usage.flush();
    expectOk(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }));
    expectOk(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }));
    await t.app.services.usage.flush();
    const usage = expectOk(await t.gql(ApiKeyUsageDocument, { id: key.id, days: 1 })).apiKey!;
    expect(usage.requestCount).toBe(3);
    expect(usage.usage).toEqual([{ day: today(), requests: 3 }]);
  });

  it('past days: usage(days) shows only the window; requestCount is the total of every day', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'history' });
    await t.sql(
      `INSERT INTO api_key_usage (api_key_id, day, requests) VALUES
         ($1, (now() AT TIME ZONE 'UTC')::date - 1, 5),
         ($1, (now() AT TIME ZONE 'UTC')::date - 4, 2),
         ($1, (now() AT TIME ZONE 'UTC')::date - 40, 100)`,
      [key.id],
    );
    const three = expectOk(await t.gql(ApiKeyUsageDocument, { id: key.id, days: 3 })).apiKey!;
    expect(three.usage).toEqual([
      { day: daysAgo(2), requests: 0 },
      { day: daysAgo(1), requests: 5 },
      { day: today(), requests: 0 },
    ]);
    expect(three.requestCount).toBe(107);
    const five = expectOk(await t.gql(ApiKeyUsageDocument, { id: key.id, days: 5 })).apiKey!;
    expect(five.usage.map((u) => u.requests)).toEqual([2, 0, 0, 5, 0]);
    const month = expectOk(await t.gql(ApiKeyUsageDocument, { id: key.id })).apiKey!;
    expect(month.usage.reduce((sum, u) => sum + u.requests, 0)).toBe(7);
    const year = expectOk(await t.gql(ApiKeyUsageDocument, { id: key.id, days: 366 })).apiKey!;
    expect(year.usage).toHaveLength(366);
    expect(year.usage.reduce((sum, u) => sum + u.requests, 0)).toBe(107);
  });

  it('requests refused at authentication (inactive key) are not counted', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'refused' });
    await t.app.services.apiKeys.setStatus(t.owner.caller, key.id, 'INACTIVE' as never);
    expectUnauthenticated(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }), 'INACTIVE');
    await t.app.services.usage.flush();
    expect(expectOk(await t.gql(ApiKeyUsageDocument, { id: key.id, days: 1 })).apiKey).toMatchObject({ requestCount: 0, lastUsedAt: null });
  });

  it('in a list, every key gets its own counts', async () => {
    const quiet = await t.createKey({ stats: ['read'] }, { name: 'perkey quiet' });
    const loud = await t.createKey({ stats: ['read'] }, { name: 'perkey loud' });
    for (let i = 0; i < 4; i++) expectOk(await t.gql(ViewerPrincipalDocument, {}, { key: loud.secret }));
    expectOk(await t.gql(ViewerPrincipalDocument, {}, { key: quiet.secret }));
    await t.app.services.usage.flush();
    const nodes = expectOk(await t.gql(ApiKeysWithUsageDocument, { first: 10, filter: { search: 'perkey' }, days: 2 })).apiKeys.nodes;
    expect(nodes.map((n) => [n.name, n.requestCount, n.usage.map((u) => u.requests)])).toEqual([
      ['perkey loud', 4, [0, 4]],
      ['perkey quiet', 1, [0, 1]],
    ]);
  });

  it.each([0, -5, 367])('days %i is BAD_USER_INPUT on `days`', async (days) => {
    const key = await t.createKey({ stats: ['read'] }, { name: `usage bounds ${days}` });
    const res = await t.gql(ApiKeyUsageDocument, { id: key.id, days });
    expect(expectError(res, 'BAD_USER_INPUT', 400).fields).toEqual({ days: 'days must be between 1 and 366.' });
  });

  it('usage(days: 1) is just today', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'one day' });
    expect(expectOk(await t.gql(ApiKeyUsageDocument, { id: key.id, days: 1 })).apiKey!.usage).toEqual([{ day: today(), requests: 0 }]);
  });
});
