import type { Browser } from 'playwright-core';
import { ConsoleKeyByNameDocument, ConsoleKeyFactsDocument, ConsoleWhoAmIDocument } from '../generated/graphql';
import { BROWSER_TIMEOUT_MS, launchChromium, listen, openConsole, screenshot, signInWithLink, type ConsolePage } from '../support/browser';
import { requestBody } from '../support/graphql-request';
import { TestApp } from '../support/harness';

/**
 * The seeds' whole story in a real Chromium: sign in with the one-time link, create a key that
 * expires in 30 days, copy the secret shown once, use it, revoke it, and see it refused.
 */
jest.setTimeout(5 * BROWSER_TIMEOUT_MS);

const DAY_MS = 86_400_000;
let t: TestApp;
let browser: Browser;
let origin: string;
let ui: ConsolePage;
/** The key the second test creates and the third revokes. */
let dashboard: { id: string; secret: string };

beforeAll(async () => {
  t = await TestApp.create();
  origin = await listen(t);
  browser = await launchChromium();
  ui = await openConsole(browser, origin);
}, 4 * BROWSER_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

async function callWith(secret: string) {
  const res = await fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': secret },
    body: JSON.stringify(requestBody(ConsoleWhoAmIDocument)),
  });
  return { status: res.status, body: (await res.json()) as { data?: any; errors?: any[] } };
}

it('signs in with the one-time link, and the token leaves the address bar', async () => {
  const { page } = ui;
  await signInWithLink(page, t, t.owner);
  expect(page.url()).toBe(`${origin}/console/`);
  await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor();
  // The bootstrap key is in the table, as a Bot with every permission.
  const row = page.getByRole('row').filter({ hasText: 'Bootstrap' });
  expect(await row.getByRole('cell').nth(1).textContent()).toBe('Bot');
  expect(await row.getByRole('cell').nth(2).textContent()).toBe('Full access');
});

it('creates a key expiring in 30 days; the secret is shown once, copied, and works', async () => {
  const { page } = ui;
  await page.getByRole('button', { name: 'Create key' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create an API key' });
  await dialog.getByLabel('Name').fill('Dashboard');
  await dialog.getByRole('button', { name: 'Read-only analytics' }).click();
  expect(await dialog.getByLabel('stats: read', { exact: true }).isChecked()).toBe(true);
  expect(await dialog.getByLabel('shortLinks: read', { exact: true }).isChecked()).toBe(true);
  expect(await dialog.getByLabel('shortLinks: create', { exact: true }).isChecked()).toBe(false);
  // stats declares only read: no box for the others.
  expect(await dialog.getByLabel('stats: create', { exact: true }).count()).toBe(0);
  expect(await dialog.getByLabel('30 days').isChecked()).toBe(true);
  await screenshot(page, 'create-key-dialog');

  const before = Date.now();
  const created = page.waitForResponse((r) => r.url() === `${origin}/graphql` && (r.request().postData() ?? '').includes('CreateApiKey'));
  await dialog.getByRole('button', { name: 'Create key' }).click();
  expect((await created).status()).toBe(200);
  const after = Date.now();

  const secretDialog = page.getByRole('dialog', { name: 'Your new key: Dashboard' });
  await secretDialog.waitFor();
  expect(await secretDialog.getByRole('note').textContent()).toBe(
    'Copy this key now. It will not be shown again: keygate keeps only its SHA-256.',
  );
  const shown = (await secretDialog.getByLabel('Secret key').textContent())!;
  expect(shown).toMatch(/^sk_live_[0-9a-f]{64}[0-9A-Za-z]{6}$/);
  await secretDialog.getByRole('button', { name: 'Copy' }).click();
  await secretDialog.getByText('Copied to the clipboard.').waitFor();
  const copied = await page.evaluate('navigator.clipboard.readText()');
  expect(copied).toBe(shown);
  await screenshot(page, 'secret-shown-once');
  await secretDialog.getByRole('button', { name: 'I have copied it' }).click();
  await secretDialog.waitFor({ state: 'detached' });
  expect(await page.content()).not.toContain(shown);

  // What the API holds: a BOT key with exactly the preset's scopes, expiring 30 days after the click.
  const found = await t.gql(ConsoleKeyByNameDocument, { search: 'Dashboard' });
  const key = found.body.data!.apiKeys.nodes[0];
  expect(key).toMatchObject({ name: 'Dashboard', type: 'BOT', permissions: { scopes: ['shortLinks:read', 'stats:read'] } });
  const expiresAt = Date.parse(key.expiresAt!);
  expect(expiresAt).toBeGreaterThanOrEqual(before + 30 * DAY_MS);
  expect(expiresAt).toBeLessThanOrEqual(after + 30 * DAY_MS);
  // …and the table shows that day.
  const row = page.getByRole('row').filter({ hasText: 'Dashboard' });
  await row.waitFor();
  const cells = row.getByRole('cell');
  expect(await cells.nth(0).textContent()).toBe('BOT');
  expect(await cells.nth(1).textContent()).toBe('Bot');
  expect(await cells.nth(2).textContent()).toBe('shortLinks: read · stats: read');
  expect(await cells.nth(7).textContent()).toBe(key.expiresAt!.slice(0, 10));
  await screenshot(page, 'keys-table');

  const used = await callWith(copied as string);
  expect(used.status).toBe(200);
  expect(used.body.data.viewer.kind).toBe('API_KEY');
  dashboard = { id: key.id, secret: copied as string };
});

it('revokes the key in the console with a reason; the next call with it is 401 REVOKED', async () => {
  const { page } = ui;
  const { id, secret } = dashboard;
  const row = page.getByRole('row').filter({ hasText: 'Dashboard' });
  await row.getByRole('button', { name: 'Revoke' }).click();
  const dialog = page.getByRole('dialog', { name: 'Revoke Dashboard' });
  await dialog.getByLabel('Reason').fill('leaked in CI logs');
  const revoked = page.waitForResponse((r) => r.url() === `${origin}/graphql` && (r.request().postData() ?? '').includes('RevokeApiKey'));
  await dialog.getByRole('button', { name: 'Revoke key' }).click();
  expect((await revoked).status()).toBe(200);
  await row.getByText('REVOKED', { exact: true }).waitFor();

  const facts = await t.gql(ConsoleKeyFactsDocument, { id });
  expect(facts.body.data!.apiKey).toMatchObject({ status: 'REVOKED', revokedReason: 'leaked in CI logs' });
  const refused = await callWith(secret);
  expect(refused.status).toBe(401);
  expect(refused.body.errors![0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'REVOKED' });
  expect(ui.errors).toEqual([]);
});

it('the key’s detail page: facts, daily usage as a chart, and the key’s audit trail', async () => {
  const { page } = ui;
  // Usage on three days (as the request path counts it), written by the recorder's flush.
  const today = Date.now();
  for (const [daysAgo, requests] of [
    [2, 3],
    [1, 5],
    [0, 2],
  ]) {
    for (let i = 0; i < requests; i++) t.app.services.usage.record(dashboard.id, new Date(today - daysAgo * DAY_MS));
  }
  await t.app.services.usage.flush();

  await page.getByRole('link', { name: 'Dashboard' }).click();
  await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
  expect(page.url()).toBe(`${origin}/console/keys/${dashboard.id}`);
  // The 10 recorded here and the one call the key made before it was revoked (the refused one does not count).
  expect(await page.locator('figure.chart figcaption').textContent()).toBe('Requests per day: 11 requests in the last 30 days');
  expect(await page.locator('figure.chart rect.bar').count()).toBe(30);
  const trail = page.getByRole('table').last();
  const actions = await trail.locator('tbody tr td:nth-child(2)').allTextContents();
  expect(actions).toEqual(['API_KEY_REVOKED', 'API_KEY_CREATED']);
  expect(await trail.locator('tbody tr').first().textContent()).toContain('leaked in CI logs');
  expect(await page.locator('dl.facts').textContent()).toContain('Revoked');
  await screenshot(page, 'key-detail');
  expect(ui.errors).toEqual([]);
});
