import { Role } from '../../src/kernel/access';
import { ApiKeyPageWithRelationsDocument, ShortLinksWithRelationsDocument, ViewerKindDocument } from '../generated/graphql';
import { expectOk } from '../support/expect';
import { TestApp } from '../support/harness';

/**
 * Relations reached from a list go through per-request DataLoaders, so a page costs the same
 * number of SQL statements whatever its size. Counted with the data source's query observer.
 */
let t: TestApp;
beforeAll(async () => {
  t = await TestApp.create();
  const admin = await t.addMember('admin@acme.test', Role.ADMIN);
  const people = [t.owner, admin];
  for (let i = 0; i < 110; i++) {
    const key = await t.createKey({ stats: ['read'] }, { name: `key ${i}`, by: people[i % 2] });
    if (i % 3 === 0) await t.app.services.apiKeys.revoke(people[(i + 1) % 2].caller, key.id, 'rotation drill');
  }
  await t.createKey({ stats: ['read'] }, { type: 'USER' as never, by: admin, name: 'admin user key' });
  // 120 links, every third on a custom domain, created by a person or by a key.
  const domains = [];
  for (let d = 0; d < 3; d++) domains.push(await t.app.services.domains.create(t.owner.caller, `d${d}.budget.test`));
  const keyCaller = { ...t.owner.caller, principal: await t.app.authenticator.authenticateKey(t.rootKey) };
  for (let i = 0; i < 120; i++) {
    await t.app.services.shortLinks.create(i % 2 ? t.owner.caller : keyCaller, {
      url: `https://example.com/${i}`,
      domainId: i % 3 === 0 ? domains[i % 3].id : null,
    });
  }
  // Usage for every key, so requestCount has rows to sum.
  const ids: { id: string }[] = await t.dataSource.query('SELECT id FROM api_keys');
  for (const { id } of ids) t.app.services.usage.record(id);
  await t.app.services.usage.flush();
});
afterAll(() => t.close());

async function statementsFor(first: number): Promise<number> {
  const { result, count } = await t.countQueries(() => t.gql(ApiKeyPageWithRelationsDocument, { first }));
  const data = expectOk(result);
  expect(data.apiKeys.nodes).toHaveLength(first);
  return count;
}

describe('query budget', () => {
  it('apiKeys(first: N) with owner, createdBy, revokedBy and requestCount costs the same for 10 and 100 rows', async () => {
    await t.gql(ViewerKindDocument); // the key's verification is cached from here on
    const ten = await statementsFor(10);
    const hundred = await statementsFor(100);
    // One statement: owner, createdBy, revokedBy and requestCount are folded into the page query.
    expect(ten).toBe(1);
    expect(hundred).toBe(1);
  });

  it('shortLinks(first: N) with domain, createdBy and clicks costs the same for 10 and 100 rows', async () => {
    await t.gql(ViewerKindDocument);
    const run = async (first: number) => {
      const { result, count } = await t.countQueries(() => t.gql(ShortLinksWithRelationsDocument, { first }));
      const nodes = expectOk(result).shortLinks.nodes;
      expect(nodes).toHaveLength(first);
      expect(nodes.filter((n) => n.domain).length).toBeGreaterThan(0);
      expect(new Set(nodes.map((n) => n.createdBy!.kind))).toEqual(new Set(['USER', 'API_KEY']));
      return count;
    };
    // page, with domains and creators (users and keys) folded in (1) + link counts (1)
    expect(await run(10)).toBe(2);
    expect(await run(100)).toBe(2);
  });

  it('keys created by keys are still one statement a page, with the creator’s name', async () => {
    const keyCaller = { ...t.owner.caller, principal: await t.app.authenticator.authenticateKey(t.rootKey) };
    const made = await t.app.services.apiKeys.create(keyCaller, {
      name: 'made by a key',
      type: 'BOT' as never,
      permissions: { stats: ['read'] },
    });
    t.app.services.usage.record(made.apiKey.id);
    await t.app.services.usage.flush();
    const { result, count } = await t.countQueries(() => t.gql(ApiKeyPageWithRelationsDocument, { first: 5 }));
    expect(count).toBe(1);
    const node = expectOk(result).apiKeys.nodes.find((n) => n.id === made.apiKey.id)!;
    expect(node.createdBy).toEqual({ kind: 'API_KEY', name: expect.stringMatching(/ \(sk_live_[0-9a-f]{4}\)$/) });
    expect(node.requestCount).toBe(1);
  });

  it('the loaded relations are right', async () => {
    const data = expectOk(await t.gql(ApiKeyPageWithRelationsDocument, { first: 100 }));
    const revoked = data.apiKeys.nodes.filter((n) => n.status === 'REVOKED');
    const ids = data.apiKeys.nodes.map((n) => n.id);
    const [{ n }] = await t.dataSource.query("SELECT count(*)::int AS n FROM api_keys WHERE id = ANY($1) AND status = 'REVOKED'", [ids]);
    expect(revoked.length).toBe(n);
    expect(n).toBeGreaterThan(30);
    for (const n of revoked) expect(n.revokedBy!.kind).toBe('USER');
    expect(data.apiKeys.nodes.every((n) => n.requestCount === 1)).toBe(true);
    expect(data.apiKeys.nodes.find((n) => n.name === 'admin user key')!.owner).toEqual({ email: 'admin@acme.test' });
  });

  it('viewer { kind } with a cached key runs no SQL at all', async () => {
    await t.gql(ViewerKindDocument);
    const { count } = await t.countQueries(() => t.gql(ViewerKindDocument));
    expect(count).toBe(0);
  });
});
