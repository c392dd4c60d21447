import type { Browser, Page } from 'playwright-core';
import { BROWSER_TIMEOUT_MS, launchChromium, listen, openConsole, signInWithLink, type ConsolePage } from '../support/browser';
import { TestApp } from '../support/harness';
import { Role } from '../../src/kernel/access';

/**
 * GraphiQL as a newcomer uses it, in a real Chromium: paste the README's query and run it at
 * once, paste a key into the Headers tab and find it still there after a reload, and, signed in
 * to the console, explore as oneself with no key at all. The page is fully offline: every script
 * is in the page (the browser helper counts errors from this origin).
 */
jest.setTimeout(5 * BROWSER_TIMEOUT_MS);

let t: TestApp;
let browser: Browser;
let origin: string;

beforeAll(async () => {
  t = await TestApp.create();
  origin = await listen(t);
  browser = await launchChromium();
}, 4 * BROWSER_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

const EDITORS = {
  query: '.graphiql-query-editor .monaco-editor',
  headers: '.graphiql-editor-tool .monaco-editor[data-uri$="headers.json"]',
};

/** Replaces the whole text of one of GraphiQL's editors (Monaco) the way a paste does. */
async function replaceText(page: Page, editor: 'query' | 'headers', text: string): Promise<void> {
  await page.locator(EDITORS[editor]).click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}

/** Runs the operation in the editor and returns the parsed response panel. */
async function run(page: Page): Promise<any> {
  const answered = page.waitForResponse((r) => r.url() === `${origin}/graphql` && r.request().method() === 'POST');
  await page.locator('.graphiql-execute-button').click();
  const response = await answered;
  return response.json();
}

async function openGraphiQL(ui: ConsolePage): Promise<Page> {
  const { page } = ui;
  await page.goto('/graphiql');
  await page.locator('.graphiql-query-editor .monaco-editor').first().waitFor();
  // The schema is fetched (anonymous introspection, allowed outside production) before docs show.
  await page.locator('.graphiql-execute-button').waitFor();
  return page;
}

it('runs a pasted anonymous query right after load with a pasted key, and keeps the headers across a reload', async () => {
  const ui = await openConsole(browser, origin);
  const page = await openGraphiQL(ui);
  await page.getByRole('button', { name: /^Headers$/ }).click();
  await replaceText(page, 'headers', JSON.stringify({ 'x-api-key': t.rootKey }));
  await replaceText(page, 'query', '{ viewer { kind organization { name } } }');
  const body = await run(page);
  expect(body).toEqual({ data: { viewer: { kind: 'API_KEY', organization: { name: t.org.name } } } });
  await page.locator('.graphiql-response').getByText('"API_KEY"').waitFor();

  // GraphiQL stores headers after a short debounce: wait for the write itself, then reload.
  await page.waitForFunction((key) => (localStorage.getItem('graphiql:headers') ?? '').includes(key), t.rootKey);
  await page.reload();
  await page.locator('.graphiql-query-editor .monaco-editor').first().waitFor();
  expect(await run(page)).toEqual({ data: { viewer: { kind: 'API_KEY', organization: { name: t.org.name } } } });
  expect(ui.errors).toEqual([]);
  await ui.context.close();
});

it('explores as the console user when signed in and no key is given; a key in the headers wins', async () => {
  const ui = await openConsole(browser, origin);
  await signInWithLink(ui.page, t, await t.addMember('admin@graphiql.test', Role.ADMIN));
  const page = await openGraphiQL(ui);
  await replaceText(page, 'query', '{ viewer { kind role } }');
  expect(await run(page)).toEqual({ data: { viewer: { kind: 'USER', role: 'ADMIN' } } });

  await page.getByRole('button', { name: /^Headers$/ }).click();
  await replaceText(page, 'headers', JSON.stringify({ 'x-api-key': t.rootKey }));
  expect(await run(page)).toEqual({ data: { viewer: { kind: 'API_KEY', role: null } } });
  expect(ui.errors).toEqual([]);
  await ui.context.close();
});

it('shows the scope a field needs in the docs explorer, from the directive', async () => {
  const ui = await openConsole(browser, origin);
  const page = await openGraphiQL(ui);
  await page.getByRole('button', { name: /documentation explorer/i }).click();
  await page.getByRole('link', { name: 'Query' }).click();
  await page.locator('.graphiql-doc-explorer').getByRole('link', { name: 'apiKeys', exact: true }).click();
  await page.locator('.graphiql-doc-explorer').getByText('Requires apiKeys:read.').first().waitFor();
  expect(ui.errors).toEqual([]);
  await ui.context.close();
});
