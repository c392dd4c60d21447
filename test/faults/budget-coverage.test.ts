import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSchema } from 'graphql';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RequestBudget } from '../../src/db/request-budget';
import { BY_SECRET_HASH } from '../../src/modules/api-keys/key.directory';
import { LOOKUPS } from '../../src/modules/sessions/person.directory';
import { Role } from '../../src/kernel/access';
import { TestApp } from '../support/harness';

// Literal documents: each root field of the schema once, in an order where every change has something to act on.

/**
 * The request budget travels explicitly (Caller.db, db/request-budget.ts), not in an
 * AsyncLocalStorage, so a service or loader that reached for the app's data source would escape
 * it silently. Every root field of the schema runs here once, selecting what loaders serve, and
 * every statement sent on its behalf must have been counted by its request's budget — except
 * finding the principal, which runs before the budget is known. The fuzz campaign applies the
 * same oracle to generated operations (test/fuzz/runner.ts).
 */
const PRINCIPAL_LOOKUPS = new Set<string>([BY_SECRET_HASH, ...Object.values(LOOKUPS)]);

describe('every statement of a GraphQL request counts against its budget', () => {
  let t: TestApp;
  let receiver: Server;
  let receiverUrl: string;
  const settled: RequestBudget[] = [];
  const ids: Record<string, string> = {};
  const covered = new Set<string>();

  beforeAll(async () => {
    receiver = createServer((_req, res) => res.writeHead(204).end());
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/in`;
    t = await TestApp.create({ overrides: { txtResolver: async () => [] } });
    t.app.requestBudgets.onSettled = (budget) => settled.push(budget);
    ids.member = (await t.addMember('budgeted@acme.test', Role.MEMBER)).userId;
  });
  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => receiver.close(resolve));
  });

  /** Runs a document as the root key; returns its data, the statements outside any budget, and its own budget. */
  async function run(fields: string[], document: string, variables: Record<string, unknown> = {}) {
    for (const field of fields) covered.add(field);
    settled.length = 0;
    const { result, outside } = await t.outsideBudgets(() => t.gql(document, variables));
    expect(result.body.errors).toBeUndefined();
    expect(result.status).toBe(200);
    expect(outside.filter((sql) => !PRINCIPAL_LOOKUPS.has(sql))).toEqual([]);
    expect(settled).toHaveLength(1);
    expect(settled[0].statements).toBeGreaterThan(0);
    expect(settled[0].connections).toBe(0);
    return result.body.data as Record<string, any>;
  }

  const actor = '{ kind id name }';

  it('changes: keys, links, domains, webhooks (with a ping and a redelivery), members', async () => {
    let data = await run(
      ['createApiKey'],
      `mutation { createApiKey(input: { name: "budgeted", permissions: { stats: [read] } }) { apiKey { id } } }`,
    );
    ids.key = data.createApiKey.apiKey.id;
    await run(['updateApiKey'], `mutation ($id: ID!) { updateApiKey(id: $id, input: { name: "budgeted 2" }) { id } }`, { id: ids.key });
    await run(['rotateApiKey'], `mutation ($id: ID!) { rotateApiKey(id: $id, gracePeriodSeconds: 60) { apiKey { id } } }`, { id: ids.key });
    await run(['setApiKeyStatus'], `mutation ($id: ID!) { setApiKeyStatus(id: $id, status: INACTIVE) { id } }`, { id: ids.key });

    data = await run(['createDomain'], `mutation { createDomain(hostname: "budget.acme.test") { id } }`);
    ids.domain = data.createDomain.id;
    data = await run(
      ['createShortLink'],
      `mutation ($d: ID) { createShortLink(input: { url: "https://example.com/b", domainId: $d }) { id } }`,
      { d: ids.domain },
    );
    ids.link = data.createShortLink.id;
    await run(['updateShortLink'], `mutation ($id: ID!) { updateShortLink(id: $id, input: { title: "b" }) { id } }`, { id: ids.link });

    data = await run(
      ['createWebhook'],
      `mutation ($url: String!) { createWebhook(input: { url: $url, events: ["ping", "shortLink.created"] }) { webhook { id } } }`,
      { url: receiverUrl },
    );
    ids.webhook = data.createWebhook.webhook.id;
    await run(['updateWebhook'], `mutation ($id: ID!) { updateWebhook(id: $id, input: { description: "b" }) { id } }`, { id: ids.webhook });
    await run(['rotateWebhookSecret'], `mutation ($id: ID!) { rotateWebhookSecret(id: $id) { webhook { id } } }`, { id: ids.webhook });
    data = await run(['testWebhook'], `mutation ($id: ID!) { testWebhook(id: $id) { id succeeded } }`, { id: ids.webhook });
    expect(data.testWebhook.succeeded).toBe(true);
    ids.delivery = data.testWebhook.id;
    data = await run(['redeliverWebhookDelivery'], `mutation ($id: ID!) { redeliverWebhookDelivery(id: $id) { id attempt } }`, {
      id: ids.delivery,
    });
    expect(data.redeliverWebhookDelivery.attempt).toBe(2);

    await run(['addMember'], `mutation { addMember(email: "added@acme.test", role: VIEWER) { role } }`);
    await run(['updateMemberRole'], `mutation ($id: ID!) { updateMemberRole(userId: $id, role: VIEWER) { role } }`, { id: ids.member });
  });

  it('reads: every query root field, with what loaders serve', async () => {
    await run(
      ['viewer', 'permissionCatalog'],
      `{ viewer { kind organization { id name plan } organizations { organization { id } role } apiKey { id name } permissions { apiKeys } }
         permissionCatalog { __typename } }`,
    );
    await run(
      ['apiKeys', 'apiKey'],
      `query ($id: ID!) {
         apiKeys(first: 10) { totalCount nodes { id owner { email } createdBy ${actor} revokedBy ${actor} requestCount previousSecretExpiresAt
                                                 usage(days: 7) { day requests } viewerCan { update } } }
         apiKey(id: $id) { id requestCount createdBy ${actor} }
       }`,
      { id: ids.key },
    );
    await run(
      ['shortLinks', 'shortLink', 'stats'],
      `query ($id: ID!) {
         shortLinks(first: 10) { nodes { id domain { hostname linkCount } createdBy ${actor} clicks stats { totalClicks } } }
         shortLink(id: $id) { id clicks domain { id } stats(interval: HOUR) { totalClicks series { clicks } } }
         stats { totalClicks topLinks { clicks } }
       }`,
      { id: ids.link },
    );
    await run(
      ['domains', 'members', 'auditLog'],
      `{ domains { id linkCount verified } members { role user { email } viewerCan { remove } }
         auditLog(first: 20) { nodes { action actor ${actor} } } }`,
    );
    await run(
      ['webhooks', 'webhookDeliveries'],
      `query ($id: ID!) { webhooks { id lastDeliveryStatus } webhookDeliveries(webhookId: $id, first: 5) { nodes { id attempt } } }`,
      { id: ids.webhook },
    );
  });

  it('the rest of the changes: verification, revocation, removals, deletions', async () => {
    covered.add('verifyDomain');
    settled.length = 0;
    const verify = await t.outsideBudgets(() => t.gql(`mutation ($id: ID!) { verifyDomain(id: $id) { verified } }`, { id: ids.domain }));
    // No TXT record exists here: refused, after reading the domain through the budget.
    expect(verify.result.body.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(verify.outside.filter((sql) => !PRINCIPAL_LOOKUPS.has(sql))).toEqual([]);
    expect(settled[0].statements).toBeGreaterThan(0);

    await run(['revokeApiKey'], `mutation ($id: ID!) { revokeApiKey(id: $id, reason: "done") { id } }`, { id: ids.key });
    await run(['deleteApiKey'], `mutation ($id: ID!) { deleteApiKey(id: $id) }`, { id: ids.key });
    await run(['removeMember'], `mutation ($id: ID!) { removeMember(userId: $id) { userId } }`, { id: ids.member });
    await run(['deleteShortLink'], `mutation ($id: ID!) { deleteShortLink(id: $id) }`, { id: ids.link });
    await run(['deleteDomain'], `mutation ($id: ID!) { deleteDomain(id: $id, force: true) }`, { id: ids.domain });
    await run(['deleteWebhook'], `mutation ($id: ID!) { deleteWebhook(id: $id) }`, { id: ids.webhook });
  });

  it('covered every root field of the schema', () => {
    const schema = buildSchema(readFileSync(path.resolve(__dirname, '../../schema/schema.graphql'), 'utf8'));
    const roots = [schema.getQueryType()!, schema.getMutationType()!].flatMap((type) => Object.keys(type.getFields()));
    expect([...covered].sort()).toEqual(roots.sort());
  });

  it('the watch itself sees a statement sent outside any budget', async () => {
    const { outside } = await t.outsideBudgets(() => t.app.services.domains.list(t.owner.caller));
    expect(outside).toHaveLength(1);
    expect(outside[0]).toMatch(/FROM "domains"/);
  });
});
