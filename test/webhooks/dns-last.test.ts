import { TestApp } from '../support/harness';

/**
 * A webhook URL's host is looked up (DNS) only once everything else about the request passed:
 * a refused request never makes keygate resolve a name its client chose (an attacker's pass found
 * lookups for requests then refused). The lookup is a stub that records the names asked for.
 */
const looked: string[] = [];
let t: TestApp;
beforeAll(async () => {
  t = await TestApp.create({
    overrides: {
      webhookLookup: async (host: string) => {
        looked.push(host);
        return [{ address: '93.184.216.34', family: 4 as const }];
      },
    },
  });
});
afterAll(() => t.close());

it.each([
  [
    'create with an unknown event',
    'createWebhook(input: { url: "https://a1.attacker.example/", events: ["nope"] }) { secret }',
    'root',
    'BAD_USER_INPUT',
  ],
  [
    'create with a 600-character description',
    `createWebhook(input: { url: "https://a2.attacker.example/", events: ["ping"], description: "${'x'.repeat(600)}" }) { secret }`,
    'root',
    'BAD_USER_INPUT',
  ],
  [
    'update of a webhook that does not exist',
    'updateWebhook(id: "00000000-0000-4000-8000-000000000000", input: { url: "https://a3.attacker.example/" }) { id }',
    'root',
    'NOT_FOUND',
  ],
  [
    'create for events the key may not read',
    'createWebhook(input: { url: "https://a4.attacker.example/", events: ["member.added"] }) { secret }',
    'limited',
    'FORBIDDEN',
  ],
])('%s: refused with no DNS lookup', async (name, field, who, code) => {
  const limited = await t.createKey({ webhooks: ['create', 'read', 'update'] }, { name: `limited ${name}` });
  const res = await t.gql(`mutation { ${field} }`, {}, { key: who === 'root' ? t.rootKey : limited.secret });
  expect(res.body.errors!.map((e) => e.extensions!.code)).toEqual([code]);
  expect(looked).toEqual([]);
});

it('a request that passes everything else looks the host up once, then creates the webhook', async () => {
  const res = await t.gql('mutation { createWebhook(input: { url: "https://ok.example/", events: ["ping"] }) { webhook { url } } }');
  expect(res.body).toEqual({ data: { createWebhook: { webhook: { url: 'https://ok.example/' } } } });
  expect(looked).toEqual(['ok.example']);
});
