import type { Browser } from 'playwright-core';
import { Role } from '../../src/kernel/access';
import { BROWSER_TIMEOUT_MS, launchChromium, listen, openConsole, screenshot, signInWithLink, type ConsolePage } from '../support/browser';
import { TestApp, type Member } from '../support/harness';

/**
 * Issue 17, finding 3 (login CSRF), in a real Chromium: a signed-in owner sent by another page to
 * `/console/#sign-in=<a link minted for someone else>` is asked, not switched. Staying keeps the
 * owner signed in and the link unused; only the click on "Sign in as …" spends it.
 */
jest.setTimeout(4 * BROWSER_TIMEOUT_MS);

let t: TestApp;
let browser: Browser;
let origin: string;
let ui: ConsolePage;
let attacker: Member;

beforeAll(async () => {
  t = await TestApp.create();
  origin = await listen(t);
  browser = await launchChromium();
  ui = await openConsole(browser, origin);
  attacker = await t.addMember('attacker@elsewhere.test', Role.MEMBER);
  await signInWithLink(ui.page, t, t.owner);
}, 4 * BROWSER_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

const CONFLICT = 'Failed to load resource: the server responded with a status of 409 (Conflict)';

const unused = async (token: string) =>
  (await t.dataSource.query("SELECT used_at FROM sign_in_links WHERE token_hash = encode(sha256($1::bytea), 'hex')", [token]))[0]
    ?.used_at === null;

/** Who the console says is signed in (the account menu shows the email). */
const signedInAs = async () =>
  ui.page
    .getByText(/@(acme|elsewhere)\.test/)
    .first()
    .textContent();

it('a link for someone else shows who each person is and changes nothing; "Stay" keeps the owner and the link unused', async () => {
  const { page } = ui;
  const link = await t.app.browserSessions.createSignInLink(attacker.userId);
  // What an attacker's page does: navigate the victim's tab (from elsewhere) to the console with its own link.
  await page.goto('about:blank');
  await page.goto(`/console/#sign-in=${link.token}`);
  await page.getByRole('heading', { name: 'Switch to another account?' }).waitFor();
  await screenshot(page, 'sign-in-switch');
  const text = await page.getByRole('main').textContent();
  expect(text).toContain('This sign-in link is for attacker@elsewhere.test. You are signed in as owner@acme.test.');
  // The token left the address bar, and nothing was spent.
  expect(page.url()).toBe(`${origin}/console/`);
  expect(await unused(link.token)).toBe(true);

  await page.getByRole('button', { name: 'Stay signed in as owner@acme.test' }).click();
  await page.getByRole('navigation', { name: 'Console' }).waitFor();
  expect(await signedInAs()).toContain('owner@acme.test');
  expect(await unused(link.token)).toBe(true);
  // Chromium logs the one 409 (the question) as a failed resource; nothing else went wrong.
  expect(ui.errors.splice(0)).toEqual([CONFLICT]);
});

it('only the click on "Sign in as …" spends the link and switches', async () => {
  const { page } = ui;
  const link = await t.app.browserSessions.createSignInLink(attacker.userId);
  await page.goto('about:blank');
  await page.goto(`/console/#sign-in=${link.token}`);
  await page.getByRole('button', { name: 'Sign in as attacker@elsewhere.test' }).click();
  await page.getByRole('navigation', { name: 'Console' }).waitFor();
  expect(await signedInAs()).toContain('attacker@elsewhere.test');
  expect(await unused(link.token)).toBe(false);
  expect(ui.errors).toEqual([CONFLICT]);
});
