import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CONSOLE_DIST } from '../../src/http/console.routes';
import type { Member, TestApp } from './harness';

/**
 * Real Chromium (Debian's package) driven by playwright-core, for the console's browser tests.
 * No browser is downloaded: when Chromium is missing the tests fail, saying how to install it.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Generous: a loaded two-core machine renders slowly. Every wait is for an event, never a sleep. */
export const BROWSER_TIMEOUT_MS = 45_000;

const SCREENSHOTS = path.resolve(__dirname, '..', '..', 'docs', 'screenshots');

/**
 * Chromium with the flags this kind of machine needs (no sandbox as root, no GPU, no background
 * connections to a network that is closed). Playwright gives each launch a new, empty profile
 * (its own temporary user-data-dir), removed when the browser closes.
 */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `The console's browser tests need Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium ` +
        '(.ci/run does it), or set CHROMIUM_PATH. They are never skipped.',
    );
  }
  if (!existsSync(path.join(CONSOLE_DIST, 'index.html'))) {
    throw new Error(`The console is not built (${CONSOLE_DIST} is missing): npm run console:build (npm install does it).`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    chromiumSandbox: false,
    timeout: BROWSER_TIMEOUT_MS,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}

/** The in-process app listening on a loopback port; returns its origin. */
export async function listen(t: TestApp): Promise<string> {
  await t.app.server.listen({ host: '127.0.0.1', port: 0 });
  const address = t.app.server.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

export interface ConsolePage {
  context: BrowserContext;
  page: Page;
  /** Errors keygate's pages printed or threw (a CSP violation, a failed script): a test expects none. Another site's (an identity provider's) are not counted. */
  errors: string[];
}

/** A fresh browser context (its own cookies) at `origin`, allowed to use the clipboard. */
export async function openConsole(browser: Browser, origin: string): Promise<ConsolePage> {
  const context = await browser.newContext({
    baseURL: origin,
    viewport: { width: 1440, height: 900 },
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  context.setDefaultTimeout(BROWSER_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(BROWSER_TIMEOUT_MS);
  const page = await context.newPage();
  const errors: string[] = [];
  const ours = (url: string) => url.startsWith(origin);
  page.on('console', (message) => {
    if (message.type() === 'error' && ours(message.location().url || page.url())) errors.push(message.text());
  });
  page.on('pageerror', (error) => {
    if (ours(page.url())) errors.push(error.message);
  });
  return { context, page, errors };
}

/** Signs `member` in the way the first start's printed link does: `/console/#sign-in=<token>`. */
export async function signInWithLink(page: Page, t: TestApp, member: Member): Promise<void> {
  const link = await t.app.browserSessions.createSignInLink(member.userId);
  await page.goto(`/console/#sign-in=${link.token}`);
  await page.getByRole('navigation', { name: 'Console' }).waitFor();
}

/** With KEYGATE_SCREENSHOTS=1, saves the page as docs/screenshots/<name>.png (for the README). */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.KEYGATE_SCREENSHOTS !== '1') return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false });
}

/**
 * The setup most console suites share: the app listening, Chromium, and `member` (the owner by
 * default) signed in on a fresh page. The suite closes `browser` in its afterAll.
 */
export async function signedInConsole(
  t: TestApp,
  member: Member = t.owner,
): Promise<{ origin: string; browser: Browser; ui: ConsolePage }> {
  const origin = await listen(t);
  const browser = await launchChromium();
  const ui = await openConsole(browser, origin);
  await signInWithLink(ui.page, t, member);
  return { origin, browser, ui };
}
