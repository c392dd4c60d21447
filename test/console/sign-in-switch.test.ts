import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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

/** Another site, for the attacker's pages: `*.test` names resolve to loopback in this Chromium. */
let evil: Server;
let evilOrigin: string;
let evilPage = '';

beforeAll(async () => {
  t = await TestApp.create();
  // keygate at keygate.test, the attacker at evil.test: two sites, as in the wild (127.0.0.1 on two ports would be one site).
  origin = (await listen(t)).replace('127.0.0.1', 'keygate.test');
  evil = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(evilPage));
  await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
  evilOrigin = `http://evil.test:${(evil.address() as AddressInfo).port}`;
  browser = await launchChromium(['--host-resolver-rules=MAP *.test 127.0.0.1']);
  ui = await openConsole(browser, origin);
  attacker = await t.addMember('attacker@elsewhere.test', Role.MEMBER);
  await signInWithLink(ui.page, t, t.owner);
}, 4 * BROWSER_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  evil?.close();
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

it('a page elsewhere cannot sign the person out and then in with its own link (the attacker’s review)', async () => {
  // A browser of its own, with the owner signed in.
  const victim = await openConsole(browser, origin);
  const { page } = victim;
  await signInWithLink(page, t, t.owner);
  const link = await t.app.browserSessions.createSignInLink(attacker.userId);
  // A text/plain form to sign-out (no preflight), then its own link once the form has answered.
  evilPage = `<!doctype html><iframe name=sink></iframe>
    <form id=f method=POST action="${origin}/console/auth/sign-out" enctype="text/plain" target=sink><input name=a value=b></form>
    <script>
      document.querySelector('iframe').onload = () => { location.href = '${origin}/console/#sign-in=${link.token}'; };
      document.getElementById('f').submit();
    </script>`;
  const signOut = page.waitForResponse((r) => r.url().endsWith('/console/auth/sign-out'));
  await page.goto(`${evilOrigin}/attack.html`);
  expect((await signOut).status()).toBe(403);
  // The console asks, because the owner's session survived; nothing was spent.
  await page.getByRole('heading', { name: 'Switch to another account?' }).waitFor();
  expect(await unused(link.token)).toBe(true);
  await page.getByRole('button', { name: 'Stay signed in as owner@acme.test' }).click();
  await page.getByRole('navigation', { name: 'Console' }).waitFor();
  expect(await page.getByText('owner@acme.test · OWNER').count()).toBe(1);
  await victim.context.close();
});
