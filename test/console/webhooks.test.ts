import type { Browser, Locator, Page } from 'playwright-core';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { CreateShortLinkIdDocument, WebhooksDocument } from '../generated/graphql';
import { Role } from '../../src/kernel/access';
import { BROWSER_TIMEOUT_MS, openConsole, screenshot, signInWithLink, type ConsolePage, signedInConsole } from '../support/browser';
import { TestApp } from '../support/harness';
import { until } from '../support/until';
import { WebhookReceiver, type Received } from '../support/webhook-receiver';

/**
 * The Webhooks page in a real Chromium against a real receiver: events ticked from the catalog,
 * the secret copied and checked by the receiver's verifier, the delivery log, Redeliver, editing
 * events, rotating the secret, and no sideways scrolling.
 */
jest.setTimeout(6 * BROWSER_TIMEOUT_MS);

const JOBS = { pollingIntervalSeconds: 0.2, dispatchIntervalMs: 100, expiryCheckIntervalMs: 3_600_000 };
let t: TestApp;
let browser: Browser;
let origin: string;
let ui: ConsolePage;
let receiver: WebhookReceiver;
/** The webhook the first test creates, with the secret copied from the console. */
let hook: { id: string; secret: string };

beforeAll(async () => {
  t = await TestApp.create({ jobs: JOBS });
  receiver = await WebhookReceiver.start();
  ({ origin, browser, ui } = await signedInConsole(t));
}, 4 * BROWSER_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await receiver?.close();
  await t?.close();
});

const verifies = (secret: string, r: Received) => {
  try {
    new StandardWebhook(secret).verify(r.body, r.headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
};

/** A shortLink.created event, committed; resolves with what the receiver got. */
async function triggerEvent(url: string): Promise<Received> {
  const arrived = receiver.next();
  expectOk(await t.gql(CreateShortLinkIdDocument, { input: { url } }));
  return arrived;
}

function expectOk<T>(res: { status: number; body: { data?: T | null; errors?: unknown[] } }): T {
  expect(res.body.errors).toBeUndefined();
  return res.body.data as T;
}

const deliveryRows = (page: Page) => page.getByRole('table', { name: 'Delivery log' }).locator('tbody tr');
const cellTexts = (row: Locator) => row.locator('td').allTextContents();

/** Waits for the worker to record `n` attempts, then refreshes the log and waits for them on the page. */
async function logShows(page: Page, n: number) {
  await until(`${n} recorded attempts`, async () => {
    const [{ count }] = await t.dataSource.query('SELECT count(*)::int AS count FROM webhook_deliveries WHERE webhook_id = $1', [hook.id]);
    return count === n;
  });
  await page.getByRole('button', { name: 'Refresh' }).click();
  await page
    .getByRole('table', { name: 'Delivery log' })
    .getByText(`${n} ${n === 1 ? 'attempt' : 'attempts'}`, { exact: true })
    .waitFor();
}

it('creates a webhook by ticking events from the catalog; the secret is shown once and copied', async () => {
  const { page } = ui;
  await page.getByRole('link', { name: 'Webhooks' }).click();
  const form = page.getByRole('form', { name: 'Create a webhook' });
  await form.getByLabel('URL').fill(receiver.url);
  // Every catalog event is a box, with the scope it needs.
  expect(await form.getByRole('checkbox').count()).toBe(23);
  const memberAdded = form.locator('.event').filter({ has: page.getByLabel('member.added', { exact: true }) });
  expect(await memberAdded.locator('.needs').textContent()).toBe('needs members:read');
  expect(await form.getByRole('button', { name: 'Create webhook' }).isDisabled()).toBe(true);
  await form.getByLabel('shortLink.created', { exact: true }).check();
  await form.getByLabel('ping', { exact: true }).check();
  await form.getByRole('button', { name: 'Create webhook' }).click();

  const dialog = page.getByRole('dialog', { name: 'Webhook signing secret' });
  const shown = (await dialog.getByLabel('Signing secret', { exact: true }).textContent())!;
  expect(shown).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
  await dialog.getByRole('button', { name: 'Copy signing secret' }).click();
  await dialog.getByText('Copied.', { exact: true }).waitFor();
  const copied = (await page.evaluate('navigator.clipboard.readText()')) as string;
  expect(copied).toBe(shown);
  await dialog.getByRole('button', { name: 'I have copied it' }).click();
  await dialog.waitFor({ state: 'detached' });
  expect(await page.content()).not.toContain(shown);

  const [created] = expectOk(await t.gql(WebhooksDocument)).webhooks;
  expect(created).toMatchObject({ url: receiver.url, events: ['shortLink.created', 'ping'], enabled: true });
  // The new webhook is open, and the address says so.
  expect(new URL(page.url()).searchParams.get('webhook')).toBe(created.id);
  await page.getByRole('heading', { name: receiver.url, level: 2 }).waitFor();
  hook = { id: created.id, secret: copied };
});

it('an event is delivered, signed with the copied secret, and shows in the log with its status code', async () => {
  const { page } = ui;
  const received = await triggerEvent('https://example.com/first');
  expect(verifies(hook.secret, received)).toBe(true);
  expect(JSON.parse(received.body)).toMatchObject({ type: 'shortLink.created', organizationId: t.org.id });
  await logShows(page, 1);
  const cells = await cellTexts(deliveryRows(page).first());
  expect(cells.slice(1, 6)).toEqual(['shortLink.created', 'Delivered', '1', '200', cells[5]]);
  expect(cells[5]).toMatch(/^\d+ ms$/);
  expect(cells[6]).toBe('');
});

it('Redeliver sends the same event again; the receiver gets it twice and the log shows attempt 2', async () => {
  const { page } = ui;
  const first = receiver.received[receiver.received.length - 1];
  const arrived = receiver.next();
  await page.getByRole('button', { name: 'Redeliver attempt 1 of shortLink.created' }).click();
  const again = await arrived;
  expect(again.headers['webhook-id']).toBe(first.headers['webhook-id']);
  expect(again.body).toBe(first.body);
  expect(verifies(hook.secret, again)).toBe(true);
  await page.getByText('Redelivered as attempt 2 (200).').waitFor();
  await page.getByRole('table', { name: 'Delivery log' }).getByText('2 attempts', { exact: true }).waitFor();
  const rows = deliveryRows(page);
  expect((await cellTexts(rows.nth(0))).slice(1, 5)).toEqual(['shortLink.created', 'Delivered', '2', '200']);
  expect((await cellTexts(rows.nth(1))).slice(1, 5)).toEqual(['shortLink.created', 'Delivered', '1', '200']);
  await screenshot(page, 'webhooks');
  expect(ui.errors).toEqual([]);
});

it('the log’s outcome filter is in the URL and survives a reload', async () => {
  const { page } = ui;
  await page.getByRole('combobox', { name: 'Show' }).selectOption('failed');
  await page.getByText('No deliveries match the filter on this page.').waitFor();
  const url = new URL(page.url());
  expect([url.searchParams.get('webhook'), url.searchParams.get('outcome')]).toEqual([hook.id, 'failed']);
  await page.reload();
  await page.getByText('No deliveries match the filter on this page.').waitFor();
  expect(await page.getByRole('combobox', { name: 'Show' }).inputValue()).toBe('failed');
  await page.getByRole('combobox', { name: 'Show' }).selectOption('succeeded');
  await page.getByRole('table', { name: 'Delivery log' }).getByText('2 attempts', { exact: true }).waitFor();
  expect(await deliveryRows(page).count()).toBe(2);
  await page.getByRole('combobox', { name: 'Show' }).selectOption('');
  expect(new URL(page.url()).searchParams.has('outcome')).toBe(false);
});

it('edits the events: the API holds exactly what is ticked', async () => {
  const { page } = ui;
  const edit = page.getByRole('form', { name: 'Edit the webhook' });
  expect(await edit.getByLabel('shortLink.created', { exact: true }).isChecked()).toBe(true);
  await edit.getByLabel('ping', { exact: true }).uncheck();
  await edit.getByLabel('apiKey.revoked', { exact: true }).check();
  await edit.getByRole('button', { name: 'Save changes' }).click();
  await edit.getByText('Saved: 2 events.').waitFor();
  const [saved] = expectOk(await t.gql(WebhooksDocument)).webhooks;
  expect(saved.events).toEqual(['shortLink.created', 'apiKey.revoked']);
  await page.getByRole('table', { name: 'Webhooks' }).getByText('shortLink.created, apiKey.revoked', { exact: true }).waitFor();
});

it('rotates the secret after a confirmation; the next delivery is signed with the new one only', async () => {
  const { page } = ui;
  await page.getByRole('button', { name: 'Rotate secret' }).click();
  const confirm = page.getByRole('dialog', { name: `Rotate the signing secret of ${receiver.url}` });
  await confirm.getByRole('button', { name: 'Rotate secret' }).click();
  const dialog = page.getByRole('dialog', { name: 'New signing secret' });
  const shown = (await dialog.getByLabel('Signing secret', { exact: true }).textContent())!;
  await dialog.getByRole('button', { name: 'Copy signing secret' }).click();
  await dialog.getByText('Copied.', { exact: true }).waitFor();
  const copied = (await page.evaluate('navigator.clipboard.readText()')) as string;
  expect(copied).toBe(shown);
  expect(copied).not.toBe(hook.secret);
  await dialog.getByRole('button', { name: 'I have copied it' }).click();

  const received = await triggerEvent('https://example.com/after-rotation');
  expect(verifies(copied, received)).toBe(true);
  expect(verifies(hook.secret, received)).toBe(false);
  await logShows(page, 3);
});

it('a MEMBER sees the events they cannot read disabled, with the reason', async () => {
  const member = await t.addMember('member@acme.test', Role.MEMBER);
  const other = await openConsole(browser, origin);
  try {
    await signInWithLink(other.page, t, member);
    await other.page.goto('/console/webhooks');
    const form = other.page.getByRole('form', { name: 'Create a webhook' });
    const box = form.getByLabel('member.added', { exact: true });
    expect(await box.isDisabled()).toBe(true);
    // Word for word what the API answers when the subscription is sent (EVENT_NEEDS_READ).
    const reason = 'A webhook receives the data of its events; subscribing to them needs members:read.';
    const describedBy = (await box.getAttribute('aria-describedby'))!;
    expect(await other.page.locator(`[id="${describedBy}"]`).textContent()).toBe(reason);
    expect(await form.getByLabel('shortLink.created', { exact: true }).isDisabled()).toBe(false);
    expect(await form.getByLabel('ping', { exact: true }).isDisabled()).toBe(false);
    expect(other.errors).toEqual([]);
  } finally {
    await other.context.close();
  }
});

it.each([1366, 390])('no sideways scrolling at %i px, with the delivery log open; the open webhook survives a reload', async (width) => {
  const { page } = ui;
  await page.setViewportSize({ width, height: 900 });
  await page.reload();
  await page.getByRole('heading', { name: receiver.url, level: 2 }).waitFor();
  await page.getByRole('table', { name: 'Delivery log' }).getByText('3 attempts', { exact: true }).waitFor();
  const overflow = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  if (overflow[0] > overflow[1]) {
    // Says which elements stick out, when some do.
    console.log(
      await page.evaluate(() =>
        [...document.querySelectorAll('body *')]
          .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth)
          .slice(0, 15)
          .map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)
          .join('\n'),
      ),
    );
  }
  expect(overflow[0]).toBeLessThanOrEqual(overflow[1]);
  expect(overflow[1]).toBe(width);
  await page.setViewportSize({ width: 1440, height: 900 });
});
