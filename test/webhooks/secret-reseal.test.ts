import { randomBytes } from 'node:crypto';
import { SecretBox } from '../../src/modules/webhooks/secret-box';
import { resealWebhookSecrets } from '../../src/modules/webhooks/secret-reseal';
import { TEST_ENCRYPTION_KEY, TestApp } from '../support/harness';

/** The middle step of an ENCRYPTION_KEY rotation, on the real database: receivers keep their secrets. */
let t: TestApp;
beforeAll(async () => {
  t = await TestApp.create();
});
afterAll(() => t.close());

it('seals every secret again with the new key, once; a secret no key opens is reported', async () => {
  const { webhook, secret } = await t.app.services.webhooks.create(t.owner.caller, {
    url: 'http://127.0.0.1:9/in',
    events: ['shortLink.created'],
  });
  const oldKey = Buffer.from(TEST_ENCRYPTION_KEY, 'hex');
  const newKey = randomBytes(32);
  const sealedOf = async () =>
    (await t.dataSource.query('SELECT secret_sealed AS s FROM webhooks WHERE id = $1', [webhook.id]))[0].s as string;

  expect(await resealWebhookSecrets(t.dataSource, new SecretBox(newKey, [oldKey]))).toEqual({ resealed: 1, current: 0, unreadable: [] });
  expect(new SecretBox(newKey).open(await sealedOf())).toBe(secret);
  expect(await resealWebhookSecrets(t.dataSource, new SecretBox(newKey, [oldKey]))).toEqual({ resealed: 0, current: 1, unreadable: [] });
  expect(await resealWebhookSecrets(t.dataSource, new SecretBox(randomBytes(32)))).toEqual({
    resealed: 0,
    current: 0,
    unreadable: [webhook.id],
  });
});
