import type { Browser, Page } from 'playwright-core';
import {
  ApiKeyTotalDocument,
  ConsoleKeyByNameDocument,
  ConsoleKeyFactsDocument,
  ConsoleWhoAmIDocument,
  RevokeApiKeyDocument,
  StatsDocument,
} from '../generated/graphql';
import { BROWSER_TIMEOUT_MS, screenshot, type ConsolePage, signedInConsole } from '../support/browser';
import { requestBody, type GqlDocument, withRequestIdChecked } from '../support/graphql-request';
import { TestApp } from '../support/harness';

/**
 * Issue 19 in a real Chromium: a key's name, permissions and rate limit edited on its page, with
 * the change shown before it is saved, and the API then holding the key to it; a rate limit at
 * creation; deactivation asked first; a revoked key offering only Delete.
 */
jest.setTimeout(5 * BROWSER_TIMEOUT_MS);

let t: TestApp;
let browser: Browser;
let origin: string;
let ui: ConsolePage;

beforeAll(async () => {
  t = await TestApp.create();
  ({ origin, browser, ui } = await signedInConsole(t));
}, 4 * BROWSER_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** One operation over real HTTP with a key, as a client of keygate would send it. */
async function callWith<T, V>(secret: string, document: GqlDocument<T, V>, variables?: V) {
  const res = await fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': secret },
    body: JSON.stringify(requestBody(document, variables)),
  });
  const checked = withRequestIdChecked({ status: res.status, headers: Object.fromEntries(res.headers), body: await res.json() });
  return { status: checked.status, body: checked.body as { data?: any; errors?: { extensions?: Record<string, unknown> }[] } };
}

const facts = async (id: string) => (await t.gql(ConsoleKeyFactsDocument, { id })).body.data!.apiKey!;
const answered = (page: Page, operation: string) =>
  page.waitForResponse((r) => r.url() === `${origin}/graphql` && (r.request().postData() ?? '').includes(`mutation ${operation}`));

/** The detail page's fact for `term` (its <dd>). */
const fact = (page: Page, term: string) =>
  page
    .locator('dl.facts div')
    .filter({ has: page.locator('dt', { hasText: term }) })
    .locator('dd');

async function openKey(page: Page, id: string, name: string): Promise<void> {
  await page.goto(`/console/keys/${id}`);
  await page.getByRole('heading', { name, level: 1 }).waitFor();
}

it('edits a key’s name, permissions and rate limit, shows the diff first, and the API then refuses the removed scope', async () => {
  const { page } = ui;
  const key = await t.createKey({ stats: ['read'], shortLinks: ['read'] }, { name: 'Reporting' });
  expect((await callWith(key.secret, StatsDocument, {})).status).toBe(200);
  await openKey(page, key.id, 'Reporting');
  expect(await fact(page, 'Rate limit').textContent()).toBe('The plan’s limit');
  expect(await fact(page, 'Permissions').textContent()).toBe('shortLinks: read · stats: read');

  await page.locator('.row-actions').getByRole('button', { name: 'Edit' }).click();
  const edit = page.getByRole('dialog', { name: 'Edit Reporting' });
  expect(await edit.getByRole('button', { name: 'Review changes' }).isDisabled()).toBe(true);
  expect(await edit.getByLabel('stats: read', { exact: true }).isChecked()).toBe(true);
  await edit.getByLabel('Name').fill('Reporting v2');
  await edit.getByLabel('stats: read', { exact: true }).uncheck();
  await edit.getByLabel('apiKeys: read', { exact: true }).check();
  await edit.getByLabel('Rate limit (requests per minute)').fill('120');
  await edit.getByRole('button', { name: 'Review changes' }).click();

  const review = page.getByRole('dialog', { name: 'Save changes to Reporting' });
  expect(await review.getByRole('list', { name: 'Changes' }).getByRole('listitem').allTextContents()).toEqual([
    'Name: Reporting → Reporting v2',
    'Permissions added: apiKeys:read',
    'Permissions removed: stats:read',
    'Rate limit: The plan’s limit → 120 requests per minute',
  ]);
  await screenshot(page, 'key-edit-diff');
  // Nothing is saved before the click: the key still reads stats.
  expect((await callWith(key.secret, StatsDocument, {})).status).toBe(200);
  expect(await facts(key.id)).toMatchObject({ name: 'Reporting', rateLimitPerMinute: null });

  const saved = answered(page, 'UpdateApiKey');
  await review.getByRole('button', { name: 'Save changes' }).click();
  expect((await saved).status()).toBe(200);
  await page.getByRole('heading', { name: 'Reporting v2', level: 1 }).waitFor();
  await review.waitFor({ state: 'detached' });
  expect(await fact(page, 'Rate limit').textContent()).toBe('120 requests per minute');
  expect(await fact(page, 'Permissions').textContent()).toBe('shortLinks: read · apiKeys: read');

  expect(await facts(key.id)).toMatchObject({
    name: 'Reporting v2',
    rateLimitPerMinute: 120,
    permissions: { scopes: ['shortLinks:read', 'apiKeys:read'] },
  });
  const removed = await callWith(key.secret, StatsDocument, {});
  expect(removed.status).toBe(403);
  expect(removed.body.errors![0].extensions).toEqual({ code: 'FORBIDDEN', required: ['stats:read'] });
  const added = await callWith(key.secret, ApiKeyTotalDocument, {});
  expect(added.status).toBe(200);
  expect(added.body.errors).toBeUndefined();
  expect(added.body.data.apiKeys.totalCount).toBe(2);
  expect(ui.errors).toEqual([]);
});

it('a rate limit set at creation shows on the key’s page', async () => {
  const { page } = ui;
  await page.goto('/console/keys');
  await page.getByRole('button', { name: 'Create key' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create an API key' });
  await dialog.getByLabel('Name').fill('Limited');
  await dialog.getByRole('button', { name: 'Read-only analytics' }).click();
  await dialog.getByLabel('Rate limit (requests per minute)').fill('60');
  const created = answered(page, 'CreateApiKey');
  await dialog.getByRole('button', { name: 'Create key' }).click();
  expect((await created).status()).toBe(200);
  const secret = page.getByRole('dialog', { name: 'Your new key: Limited' });
  await secret.getByRole('button', { name: 'I have copied it' }).click();
  await secret.waitFor({ state: 'detached' });

  const key = (await t.gql(ConsoleKeyByNameDocument, { search: 'Limited' })).body.data!.apiKeys.nodes[0];
  expect(key).toMatchObject({ name: 'Limited', rateLimitPerMinute: 60 });
  await page.getByRole('link', { name: 'Limited' }).click();
  await page.getByRole('heading', { name: 'Limited', level: 1 }).waitFor();
  expect(await fact(page, 'Rate limit').textContent()).toBe('60 requests per minute');
  expect(ui.errors).toEqual([]);
});

it('deactivating asks first: Cancel leaves the key ACTIVE and working, confirming makes it answer 401 INACTIVE', async () => {
  const { page } = ui;
  const key = await t.createKey({ stats: ['read'] }, { name: 'Switchable' });
  await openKey(page, key.id, 'Switchable');
  const toggle = page.getByRole('switch', { name: 'Active: Switchable' });
  expect(await toggle.getAttribute('aria-checked')).toBe('true');

  await toggle.click();
  const ask = page.getByRole('dialog', { name: 'Deactivate Switchable' });
  expect(await ask.getByRole('paragraph').first().textContent()).toBe(
    'Every request with this key is refused (401 INACTIVE) from now on, until you activate it again.',
  );
  expect((await facts(key.id)).status).toBe('ACTIVE');
  await ask.getByRole('button', { name: 'Cancel' }).click();
  await ask.waitFor({ state: 'detached' });
  expect(await toggle.getAttribute('aria-checked')).toBe('true');
  expect((await facts(key.id)).status).toBe('ACTIVE');
  expect((await callWith(key.secret, ConsoleWhoAmIDocument)).status).toBe(200);

  await toggle.click();
  const deactivated = answered(page, 'SetApiKeyStatus');
  await ask.getByRole('button', { name: 'Deactivate' }).click();
  expect((await deactivated).status()).toBe(200);
  await page.getByRole('switch', { name: 'Active: Switchable', checked: false }).waitFor();
  expect(await toggle.textContent()).toBe('INACTIVE');
  expect((await facts(key.id)).status).toBe('INACTIVE');
  const refused = await callWith(key.secret, ConsoleWhoAmIDocument);
  expect(refused.status).toBe(401);
  expect(refused.body.errors![0].extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'INACTIVE' });

  // Activating again changes nothing dangerous: no question.
  const activated = answered(page, 'SetApiKeyStatus');
  await toggle.click();
  expect((await activated).status()).toBe(200);
  await page.getByRole('switch', { name: 'Active: Switchable', checked: true }).waitFor();
  expect(await page.getByRole('dialog').count()).toBe(0);
  expect((await callWith(key.secret, ConsoleWhoAmIDocument)).status).toBe(200);
  expect(ui.errors).toEqual([]);
});

it('a revoked key offers only Delete, on its page and in the table', async () => {
  const { page } = ui;
  const key = await t.createKey({ stats: ['read'] }, { name: 'Retired' });
  await t.gql(RevokeApiKeyDocument, { id: key.id, reason: 'replaced' });
  await openKey(page, key.id, 'Retired');
  expect(await page.locator('.row-actions').getByRole('button').allTextContents()).toEqual(['Delete']);
  expect(await page.getByRole('switch').count()).toBe(0);
  expect(await page.locator('.page-head .status.revoked').textContent()).toBe('REVOKED');

  await page.getByRole('link', { name: '← API keys' }).click();
  const row = page.getByRole('row').filter({ hasText: 'Retired' });
  await row.waitFor();
  expect(await row.getByRole('button').allTextContents()).toEqual(['Delete']);
  expect(ui.errors).toEqual([]);
});
