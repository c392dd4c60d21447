import { request } from 'node:http';
import type { Browser, Locator, Page } from 'playwright-core';
import { BROWSER_TIMEOUT_MS, screenshot, signInWithLink, type ConsolePage, signedInConsole } from '../support/browser';
import { TestApp } from '../support/harness';

/**
 * Short links and their stats in a real Chromium: links created on the default host and on a
 * verified custom domain, their full short URL copied, real clicks through keygate's redirect
 * route, and the stats page drawn from exactly those clicks; filters, range and interval survive a
 * reload; nothing scrolls sideways at 390 px.
 */
jest.setTimeout(5 * BROWSER_TIMEOUT_MS);

let t: TestApp;
let browser: Browser;
let origin: string;
let ui: ConsolePage;
let domainId: string;
/** The UTC day and hour the clicks were made in (their bucket). */
let clickDay: string;

const UA = {
  desktop: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  iphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  ipad: 'Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  googlebot: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
};

beforeAll(async () => {
  t = await TestApp.create({ env: { CLICK_COUNTRY_HEADER: 'cf-ipcountry' } });
  domainId = (await t.app.services.domains.create(t.owner.caller, 'go.acme.test')).id;
  await t.dataSource.query('UPDATE domains SET verified_at = now() WHERE id = $1', [domainId]);
  await t.app.services.domains.create(t.owner.caller, 'pending.acme.test'); // never verified: not offered
  ({ origin, browser, ui } = await signedInConsole(t));
}, 4 * BROWSER_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** One real redirect over HTTP (Host, user agent, referrer, country as a proxy would send them); resolves with its status. */
function click(slug: string, headers: Record<string, string>): Promise<number> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path: `/${slug}`, headers }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A table's body rows as cell texts (row header first). */
async function rows(table: Locator): Promise<string[][]> {
  return table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => (c.textContent ?? '').trim())));
}

async function noSidewaysScroll(page: Page): Promise<{ scrollWidth: number; clientWidth: number }> {
  return page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
}

it('creates a link on the default host and one on the verified domain; only verified domains are offered', async () => {
  const { page } = ui;
  await page.getByRole('link', { name: 'Short links' }).click();
  await page.getByRole('heading', { name: 'Short links', level: 1 }).waitFor();
  const form = page.getByRole('form', { name: 'Create a short link' });
  const domain = form.getByLabel('Domain');
  await domain.locator('option', { hasText: 'go.acme.test' }).waitFor({ state: 'attached' });
  expect(await domain.locator('option').allTextContents()).toEqual([`${new URL(origin).host} (default)`, 'go.acme.test']);

  await form.getByLabel('URL').fill('https://example.com/launch');
  await form.getByLabel('Slug').fill('launch');
  await form.getByRole('button', { name: 'Create link' }).click();
  await page.getByRole('status').filter({ hasText: 'Created /launch.' }).waitFor();

  await form.getByLabel('URL').fill('https://example.com/promo');
  await form.getByLabel('Slug').fill('promo');
  await domain.selectOption({ label: 'go.acme.test' });
  await form.getByRole('button', { name: 'Create link' }).click();
  await page.getByRole('status').filter({ hasText: 'Created /promo.' }).waitFor();

  const stored = await t.dataSource.query('SELECT slug, domain_id FROM short_links ORDER BY slug');
  expect(stored).toEqual([
    { slug: 'launch', domain_id: null },
    { slug: 'promo', domain_id: domainId },
  ]);
  await page.getByRole('table').getByText('2 links').waitFor();
  const table = page.getByRole('table');
  expect((await rows(table)).map((r) => [r[0].replace(/\s*Copy\s*$/, ''), r[1], r[2]])).toEqual([
    ['http://go.acme.test/promo', 'https://example.com/promo', '0'],
    [`${origin}/launch`, 'https://example.com/launch', '0'],
  ]);
});

it('Copy puts the full short URL on the clipboard', async () => {
  const { page } = ui;
  for (const url of [`${origin}/launch`, 'http://go.acme.test/promo']) {
    await page.getByRole('button', { name: `Copy ${url}` }).click();
    await page.getByRole('row').filter({ hasText: url }).getByRole('status').filter({ hasText: 'Copied.' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(url);
  }
});

it('real clicks through the redirect route: the stats page shows their exact totals, top link, countries, referrers and devices', async () => {
  const { page } = ui;
  clickDay = new Date().toISOString().slice(0, 10);
  const news = 'https://news.example.com/item?id=7';
  expect(await click('launch', { 'user-agent': UA.desktop, referer: news, 'cf-ipcountry': 'DE' })).toBe(302);
  expect(await click('launch', { 'user-agent': UA.iphone, referer: news, 'cf-ipcountry': 'de' })).toBe(302);
  expect(await click('launch', { 'user-agent': UA.ipad, 'cf-ipcountry': 'FR' })).toBe(302);
  expect(
    await click('promo', { host: 'go.acme.test', 'user-agent': UA.googlebot, referer: 'https://blog.example.org/', 'cf-ipcountry': 'US' }),
  ).toBe(302);
  // On keygate's own host, /promo is not a link: nothing is recorded.
  expect(await click('promo', { 'user-agent': UA.desktop })).toBe(404);
  await t.app.services.clicks.flush();
  const [{ n }] = await t.dataSource.query('SELECT count(*)::int AS n FROM link_clicks');
  expect(n).toBe(4);

  await page.getByRole('link', { name: 'Stats', exact: true }).click();
  await page.getByRole('heading', { name: 'Stats', level: 1 }).waitFor();
  expect(await page.getByLabel('Total clicks').textContent()).toBe('4');
  const table = (name: string) => page.getByRole('table', { name });
  expect(await rows(table('Top links'))).toEqual([
    [`${origin}/launch`, '3', '75%'],
    ['http://go.acme.test/promo', '1', '25%'],
  ]);
  expect(await rows(table('Countries'))).toEqual([
    ['DE', '2', '50%'],
    ['FR', '1', '25%'],
    ['US', '1', '25%'],
  ]);
  expect(await rows(table('Referrers'))).toEqual([
    ['news.example.com', '2', '50%'],
    ['(direct)', '1', '25%'],
    ['blog.example.org', '1', '25%'],
  ]);
  expect(await rows(table('Devices'))).toEqual([
    ['Bot', '1', '25%'],
    ['Desktop', '1', '25%'],
    ['Mobile', '1', '25%'],
    ['Tablet', '1', '25%'],
  ]);
  const caption = page.locator('figure.series figcaption');
  expect(await caption.textContent()).toBe(`Clicks per day: 4 clicks in 31 days, at most 4 in one day (${clickDay})`);
  expect(await page.getByRole('img', { name: `Clicks per day: 4 clicks in 31 days, at most 4 in one day (${clickDay})` }).count()).toBe(1);
  await screenshot(page, 'stats');
});

it('range and interval live in the URL: a reload keeps them', async () => {
  const { page } = ui;
  await page.getByLabel('Range').selectOption({ label: 'Last 7 days' });
  await page.getByLabel('Interval').selectOption({ label: 'Hourly' });
  await page.waitForURL((url) => url.search === '?range=7d&interval=HOUR');
  await page.reload();
  await page.getByRole('heading', { name: 'Stats', level: 1 }).waitFor();
  expect(await page.getByLabel('Range').inputValue()).toBe('7d');
  expect(await page.getByLabel('Interval').inputValue()).toBe('HOUR');
  await page.getByLabel('Total clicks').waitFor();
  expect(await page.getByLabel('Total clicks').textContent()).toBe('4');
  // Every hour of the week is a row of the numbers table; the clicks' hours hold all four.
  const hourly: { hour: string; n: number }[] = await t.dataSource.query(
    `SELECT to_char(date_trunc('hour', clicked_at, 'UTC') AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:00') AS hour, count(*)::int AS n
       FROM link_clicks GROUP BY 1 ORDER BY 1`,
  );
  const numbers = await rows(page.locator('figure.series table'));
  expect([169, 170]).toContain(numbers.length);
  expect(numbers.filter((r) => r[1] !== '0')).toEqual(hourly.map((h) => [h.hour, String(h.n)]));
});

it('a link’s own stats, reached from the links table', async () => {
  const { page } = ui;
  await page.getByRole('link', { name: 'Short links' }).click();
  await page.getByRole('link', { name: 'Stats of /launch' }).click();
  await page.getByRole('heading', { name: 'Link stats', level: 1 }).waitFor();
  const [{ id }] = await t.dataSource.query("SELECT id FROM short_links WHERE slug = 'launch'");
  expect(new URL(page.url()).search).toBe(`?link=${id}`);
  await page.getByText(`${origin}/launch`, { exact: true }).waitFor();
  await page.getByLabel('Total clicks').waitFor();
  expect(await page.getByLabel('Total clicks').textContent()).toBe('3');
  expect(await page.getByRole('table', { name: 'Top links' }).count()).toBe(0);
  expect(await rows(page.getByRole('table', { name: 'Countries' }))).toEqual([
    ['DE', '2', '67%'],
    ['FR', '1', '33%'],
  ]);
  expect(await rows(page.getByRole('table', { name: 'Devices' }))).toEqual([
    ['Desktop', '1', '33%'],
    ['Mobile', '1', '33%'],
    ['Tablet', '1', '33%'],
  ]);
});

it('the links page keeps its filters in the URL across a reload, and shows clicks per link', async () => {
  const { page } = ui;
  await page.getByRole('link', { name: 'Short links' }).click();
  const filters = page.getByRole('search', { name: 'Filter links' });
  await filters.getByLabel('Search').fill('promo');
  await filters.getByLabel('Domain').selectOption({ label: 'go.acme.test' });
  await page.waitForURL((url) => url.search === `?q=promo&domain=${domainId}`);
  await page.reload();
  await page.getByRole('table').getByText('1 link', { exact: true }).waitFor();
  expect(await filters.getByLabel('Search').inputValue()).toBe('promo');
  expect(await filters.getByLabel('Domain').inputValue()).toBe(domainId);
  expect((await rows(page.getByRole('table'))).map((r) => r[2])).toEqual(['1']);
  await filters.getByLabel('Search').fill('');
  await page.waitForURL((url) => url.search === `?domain=${domainId}`);
  await filters.getByLabel('Domain').selectOption({ label: 'Any' });
  await page.getByRole('table').getByText('2 links', { exact: true }).waitFor();
  expect((await rows(page.getByRole('table'))).map((r) => r[2])).toEqual(['1', '3']);
  await screenshot(page, 'short-links');
  expect(ui.errors).toEqual([]);
});

it('nothing scrolls sideways at 390 px on the links and stats pages', async () => {
  const phone = await browser.newContext({ baseURL: origin, viewport: { width: 390, height: 844 } });
  phone.setDefaultTimeout(BROWSER_TIMEOUT_MS);
  try {
    const page = await phone.newPage();
    await signInWithLink(page, t, t.owner);
    await page.goto('/console/links');
    await page.getByRole('table').getByText('2 links', { exact: true }).waitFor();
    expect(await noSidewaysScroll(page)).toEqual({ scrollWidth: 390, clientWidth: 390 });
    await page.goto('/console/stats');
    await page.getByRole('table', { name: 'Devices' }).waitFor();
    expect(await noSidewaysScroll(page)).toEqual({ scrollWidth: 390, clientWidth: 390 });
  } finally {
    await phone.close();
  }
});
