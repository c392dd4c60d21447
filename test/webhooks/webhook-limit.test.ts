import { CreateWebhookDocument, DeleteWebhookDocument } from '../generated/graphql';
import { MAX_WEBHOOKS_PER_ORGANIZATION } from '../../src/modules/webhooks/webhook-limit';
import { expectError, expectOk } from '../support/expect';
import { TestApp } from '../support/harness';

/**
 * Attacker's pass (issue 20): a key with `webhooks:create` could create any number of endpoints.
 * Every event is fanned out to every subscribed endpoint inside the dispatcher's transaction (one
 * queue job each, 200 events a batch), and the per-organization delivery cap bounds requests in
 * flight, not jobs: 1,000 endpoints made each of the organization's events 1,000 jobs and 1,000
 * outbound requests, and a batch of its events 200,000 inserts in one transaction that every
 * other organization's events waited behind. An organization has at most
 * MAX_WEBHOOKS_PER_ORGANIZATION endpoints.
 */
let t: TestApp;
beforeAll(async () => {
  t = await TestApp.create({ overrides: { webhookLookup: async () => [{ address: '93.184.216.34', family: 4 }] } });
});
afterAll(() => t.close());

const create = (n: number) =>
  t.gql(CreateWebhookDocument, { input: { url: `https://hooks.example.com/${n}`, events: ['shortLink.created'] } });

it(`an organization has at most ${MAX_WEBHOOKS_PER_ORGANIZATION} webhooks; deleting one makes room`, async () => {
  expect(MAX_WEBHOOKS_PER_ORGANIZATION).toBe(25);
  const ids: string[] = [];
  for (let n = 0; n < 25; n++) ids.push(expectOk(await create(n)).createWebhook.webhook.id);
  const refused = await create(25);
  expectError(refused, 'CONFLICT', 200);
  expect(refused.body.errors![0].message).toBe('An organization has at most 25 webhooks: delete one before creating another.');
  const [{ n }] = await t.dataSource.query('SELECT count(*)::int AS n FROM webhooks WHERE org_id = $1', [t.org.id]);
  expect(n).toBe(25);

  // Another organization has its own 25.
  const other = await t.createOtherOrganization('Elsewhere');
  expectOk(
    await t.gql(
      CreateWebhookDocument,
      { input: { url: 'https://hooks.example.com/o', events: ['shortLink.created'] } },
      { key: other.rootKey },
    ),
  );

  expectOk(await t.gql(DeleteWebhookDocument, { id: ids[0] }));
  expectOk(await create(26));
});
