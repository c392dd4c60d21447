import type { Browser, Page } from 'playwright-core';
import { BROWSER_TIMEOUT_MS, screenshot, type ConsolePage, signedInConsole } from '../support/browser';
import { AuditLogDocument } from '../generated/graphql';
import { TestApp } from '../support/harness';

/**
 * The Audit log page in a real Chromium: the action filter is a select from the catalog and
 * survives a reload (it is in the URL), a target links to its page, details read as key/value
 * pairs (here and in a key's trail), and long values wrap instead of widening the page.
 */
jest.setTimeout(5 * BROWSER_TIMEOUT_MS);

let t: TestApp;
let browser: Browser;
let origin: string;
let ui: ConsolePage;
let key: { id: string; prefix: string };
/** Every event of the organization (the bootstrap's too), as the API counts them. */
let total: number;
/** A URL far wider than a phone, with no place to break but anywhere. */
const LONG_URL = `http://127.0.0.1:9/${'x'.repeat(240)}`;

beforeAll(async () => {
  t = await TestApp.create();
  const created = await t.createKey({ stats: ['read'] }, { name: 'CI deploy' });
  const revoked = await t.app.services.apiKeys.revoke(t.owner.caller, created.id, 'leaked in CI logs');
  key = { id: created.id, prefix: revoked.prefix };
  await t.app.services.webhooks.create(t.owner.caller, {
    url: LONG_URL,
    events: ['apiKey.revoked', 'apiKey.created', 'shortLink.created'],
  });
  total = (await t.gql(AuditLogDocument, { first: 1 })).body.data!.auditLog.totalCount;
  ({ origin, browser, ui } = await signedInConsole(t));
}, 4 * BROWSER_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

const rows = (page: Page) => page.getByRole('table', { name: 'Audit events' }).locator('tbody tr');
const caption = (page: Page, text: string) => page.getByRole('table', { name: 'Audit events' }).getByText(text, { exact: true });

/** The details cell of a row as [key, value] pairs. */
async function pairs(page: Page, row: number): Promise<[string, string][]> {
  const details = rows(page).nth(row).locator('dl.audit-details > div');
  const out: [string, string][] = [];
  for (let i = 0; i < (await details.count()); i++) {
    out.push([(await details.nth(i).locator('dt').textContent())!, (await details.nth(i).locator('dd').textContent())!]);
  }
  return out;
}

it('filters by an action chosen from the catalog; the filter is in the URL and survives a reload', async () => {
  const { page } = ui;
  await page.getByRole('link', { name: 'Audit log' }).click();
  const select = page.getByRole('combobox', { name: 'Action' });
  // Every catalog action is an option, after "All actions".
  expect(await select.locator('option').count()).toBe(25);
  await select.selectOption('API_KEY_REVOKED');
  await caption(page, '1 event').waitFor();
  expect(new URL(page.url()).searchParams.get('action')).toBe('API_KEY_REVOKED');
  expect(await rows(page).locator('td[data-label="Action"]').allTextContents()).toEqual(['API_KEY_REVOKED']);

  await page.reload();
  await caption(page, '1 event').waitFor();
  expect(await page.getByRole('combobox', { name: 'Action' }).inputValue()).toBe('API_KEY_REVOKED');
  expect(await rows(page).locator('td[data-label="Action"]').allTextContents()).toEqual(['API_KEY_REVOKED']);
});

it('shows details as key/value pairs, not JSON', async () => {
  const { page } = ui;
  expect(await pairs(page, 0)).toEqual([
    ['prefix', key.prefix],
    ['reason', 'leaked in CI logs'],
  ]);
  expect(await rows(page).nth(0).textContent()).not.toContain('{');
  await page.getByRole('combobox', { name: 'Action' }).selectOption('WEBHOOK_CREATED');
  await caption(page, '1 event').waitFor();
  expect(await pairs(page, 0)).toEqual([['events', 'apiKey.revoked, apiKey.created, shortLink.created']]);
  await page.getByRole('combobox', { name: 'Action' }).selectOption('');
  await caption(page, `${total} events`).waitFor();
  await screenshot(page, 'audit-log');
});

it.each([1366, 390])('no sideways scrolling at %i px: long values wrap', async (width) => {
  const { page } = ui;
  await page.setViewportSize({ width, height: 900 });
  await page.reload();
  await caption(page, `${total} events`).waitFor();
  // The audit log keeps the start of a long name: still far wider than the screen.
  await rows(page)
    .getByRole('link', { name: /^http:\/\/127\.0\.0\.1:9\/x{150,}$/ })
    .waitFor();
  const [scrollWidth, clientWidth] = await page.evaluate(() => [
    document.documentElement.scrollWidth,
    document.documentElement.clientWidth,
  ]);
  expect(clientWidth).toBe(width);
  expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
  await page.setViewportSize({ width: 1440, height: 900 });
});

it('a target links to its page: the revoked key opens, and its trail shows the same key/value details', async () => {
  const { page } = ui;
  await page.getByRole('combobox', { name: 'Action' }).selectOption('API_KEY_REVOKED');
  await caption(page, '1 event').waitFor();
  await rows(page).getByRole('link', { name: 'CI deploy' }).click();
  await page.getByRole('heading', { name: 'CI deploy', level: 1 }).waitFor();
  expect(page.url()).toBe(`${origin}/console/keys/${key.id}`);
  const trail = page.getByRole('table').last();
  const first = trail.locator('tbody tr').first().locator('dl.audit-details > div');
  expect(await first.locator('dt').allTextContents()).toEqual(['prefix', 'reason']);
  expect(await first.locator('dd').allTextContents()).toEqual([key.prefix, 'leaked in CI logs']);
  expect(ui.errors).toEqual([]);
});
