import type { Browser, Page } from 'playwright-core';
import { Role } from '../../src/kernel/access';
import { CreateDomainDocument, CreateShortLinkDocument, CreateWebhookDocument, RevokeApiKeyDocument } from '../generated/graphql';
import { BROWSER_TIMEOUT_MS, launchChromium, listen, openConsole, signInWithLink } from '../support/browser';
import { TestApp } from '../support/harness';

/**
 * Every page of the console, at a phone's width (390 px) and a small laptop's (1366 px), with
 * real rows in it: nothing scrolls sideways. The navigation is read from the page itself, so a
 * new page is covered the day it is added.
 */
jest.setTimeout(10 * BROWSER_TIMEOUT_MS);

let t: TestApp;
let browser: Browser;
let origin: string;

beforeAll(async () => {
  t = await TestApp.create();
  await t.addMember('a-rather-long-address.for-wrapping@subdomain.acme.test', Role.VIEWER);
  await t.gql(CreateShortLinkDocument, {
    input: { url: `https://example.com/${'very-long-path-segment/'.repeat(6)}?utm_source=newsletter`, slug: 'launch' },
  });
  await t.gql(CreateDomainDocument, { hostname: 'links.a-long-custom-domain-name.acme.test' });
  await t.gql(CreateWebhookDocument, { input: { url: 'http://127.0.0.1:9/a/long/webhook/path/for/wrapping', events: ['apiKey.revoked'] } });
  const old = await t.createKey({ stats: ['read'], shortLinks: ['read', 'create'] }, { name: 'Deploy key for the production cluster' });
  await t.gql(RevokeApiKeyDocument, { id: old.id, reason: 'rotated out after the incident of last Tuesday, see the postmortem' });
  origin = await listen(t);
  browser = await launchChromium();
}, 4 * BROWSER_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** How far the page scrolls sideways: 0 when nothing is wider than the window. */
const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

it.each([390, 1366])('at %i px wide no page scrolls sideways', async (width) => {
  const { page, context, errors } = await openConsole(browser, origin);
  await page.setViewportSize({ width, height: 844 });
  await signInWithLink(page, t, t.owner);
  const nav = page.getByRole('navigation', { name: 'Console' }).getByRole('link');
  const labels = await nav.allTextContents();
  expect(labels.length).toBeGreaterThanOrEqual(6);
  const measured: Record<string, number> = {};
  for (const label of labels) {
    await nav.filter({ hasText: label }).first().click();
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    await page.waitForLoadState('networkidle');
    measured[label] = await overflow(page);
  }
  // The key detail page, reached from the keys table.
  await nav.filter({ hasText: 'API keys' }).click();
  await page.getByRole('link', { name: 'Deploy key for the production cluster' }).click();
  await page.getByRole('heading', { level: 1, name: 'Deploy key for the production cluster' }).waitFor();
  await page.waitForLoadState('networkidle');
  measured['key detail'] = await overflow(page);
  expect(measured).toEqual(Object.fromEntries(Object.keys(measured).map((k) => [k, 0])));
  expect(errors).toEqual([]);
  await context.close();
});
