import type { Browser } from 'playwright-core';
import { BROWSER_TIMEOUT_MS, launchChromium, openConsole, type ConsolePage } from '../support/browser';
import type { TestApp } from '../support/harness';
import { startOidcSignIn, type OidcSignInSetup } from '../support/oidc-sign-in-setup';

/**
 * The console's "Sign in with …" against a real OpenID Connect provider on loopback (the
 * oidc-provider package in its own process, test/support/oidc-sign-in-setup.ts),
 * clicked through in Chromium: keygate → the provider's login and consent pages → back to the
 * console, signed in as the invited member. keygate runs as `npm start` does, in its own process:
 * openid-client's fetch checks do not hold inside Jest's module sandbox.
 */
jest.setTimeout(5 * BROWSER_TIMEOUT_MS);

let setup: OidcSignInSetup;
let t: TestApp;
let browser: Browser;
let keygate: string;
let issuer: string;
let ui: ConsolePage;

beforeAll(async () => {
  setup = await startOidcSignIn();
  ({ t, keygate, issuer } = setup);
  browser = await launchChromium();
  ui = await openConsole(browser, keygate);
}, 4 * BROWSER_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await setup?.close();
});

it('an invited member clicks "Sign in with …", signs in at the provider, and lands signed in on the console', async () => {
  const { page } = ui;
  await page.goto('/console/keys');
  const button = page.getByRole('button', { name: `Sign in with ${new URL(issuer).host}` });
  await button.click();

  // The provider's own pages: login (any password), then consent.
  await page.waitForURL(`${issuer}/interaction/**`);
  await page.locator('input[name=login]').fill('ada@acme.test');
  await page.locator('input[name=password]').fill('any');
  await page.locator('button[type=submit]').click();
  await page.getByRole('button', { name: 'Continue' }).click();

  await page.waitForURL(`${keygate}/console/keys`);
  await page.getByRole('navigation', { name: 'Console' }).waitFor();
  expect(await page.locator('header .who').textContent()).toBe('ada@acme.test · MEMBER');
  // A MEMBER holds nothing on apiKeys: the page says so rather than failing.
  expect(await page.getByRole('note').textContent()).toBe('You cannot see this organization’s keys: Missing permission apiKeys:read.');
  const linked = await t.dataSource.query('SELECT issuer, subject FROM user_identities');
  expect(linked).toEqual([{ issuer, subject: 'ada@acme.test' }]);
});

it('signing out ends the session: the console shows the sign-in page and the old cookie no longer works', async () => {
  const { page, context } = ui;
  const session = (await context.cookies(keygate)).find((c) => c.name === 'keygate_session')!;
  expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to the keygate console' }).waitFor();
  expect(await page.getByRole('alert').textContent()).toBe('You are signed out.');
  const res = await fetch(`${keygate}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: `keygate_session=${session.value}`, 'x-keygate-csrf': 'x' },
    body: JSON.stringify({ query: '{ viewer { kind } }' }),
  });
  expect(res.status).toBe(401);
  expect(ui.errors).toEqual([]);
});
