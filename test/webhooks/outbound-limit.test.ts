import { CreateWebhookDocument } from '../generated/graphql';
import { expectOk } from '../support/expect';
import { TestApp } from '../support/harness';
import { WebhookReceiver } from '../support/webhook-receiver';

/**
 * One request out of keygate per operation (oneOutboundSendRule): aliased or fragment-spread
 * testWebhook / redeliverWebhookDelivery fields are refused before anything runs, so no send
 * happens for a request that is refused. One alone still sends.
 */
let t: TestApp;
let receiver: WebhookReceiver;
let hookId: string;

beforeAll(async () => {
  t = await TestApp.create();
  receiver = await WebhookReceiver.start();
  hookId = expectOk(await t.gql(CreateWebhookDocument, { input: { url: receiver.url, events: ['ping'] } })).createWebhook.webhook.id;
});
afterAll(async () => {
  await receiver.close();
  await t.close();
});

const deliveries = async () => (await t.dataSource.query('SELECT count(*)::int AS n FROM webhook_deliveries'))[0].n as number;

it.each([
  ['two aliases', 'mutation($id: ID!) { a: testWebhook(id: $id) { id } b: testWebhook(id: $id) { id } }', 'testWebhook, testWebhook'],
  [
    'a ping and a redelivery through a fragment',
    'mutation($id: ID!) { testWebhook(id: $id) { id } ...R } fragment R on Mutation { redeliverWebhookDelivery(id: $id) { id } }',
    'testWebhook, redeliverWebhookDelivery',
  ],
])('%s: 400 before anything runs, nothing sent, nothing recorded', async (_, query, named) => {
  const before = await deliveries();
  const res = await t.gql(query, { id: hookId });
  expect(res.status).toBe(400);
  expect(res.body.errors).toEqual([
    expect.objectContaining({
      message: `An operation may send at most one request out of keygate (${named}); send them one per request.`,
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: 'outbound', max: 1 },
    }),
  ]);
  expect(receiver.received).toHaveLength(0);
  expect(await deliveries()).toBe(before);
});

it('one send alone goes out and is recorded', async () => {
  const arrived = receiver.next();
  const res = await t.gql('mutation($id: ID!) { testWebhook(id: $id) { succeeded statusCode } }', { id: hookId });
  expect(res.body).toEqual({ data: { testWebhook: { succeeded: true, statusCode: 200 } } });
  expect(JSON.parse((await arrived).body).type).toBe('ping');
  expect(receiver.received).toHaveLength(1);
});
