import type { Browser, Page } from 'playwright-core';
import { Role } from '../../src/kernel/access';
import { MembersDocument, MembersPendingDocument } from '../generated/graphql';
import { BROWSER_TIMEOUT_MS, openConsole, signInWithLink, type ConsolePage, signedInConsole } from '../support/browser';
import { TestApp, type Member } from '../support/harness';

/** Issue 19 on the Members page: a role change asks first; an invited member is Pending until they sign in. */
jest.setTimeout(5 * BROWSER_TIMEOUT_MS);

let t: TestApp;
let browser: Browser;
let origin: string;
let ui: ConsolePage;

beforeAll(async () => {
  t = await TestApp.create();
  await t.addMember('mel@acme.test', Role.MEMBER);
  ({ origin, browser, ui } = await signedInConsole(t));
  await ui.page.getByRole('link', { name: 'Members' }).click();
  await ui.page.getByRole('heading', { name: 'Members', level: 1 }).waitFor();
}, 4 * BROWSER_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

const member = async (email: string) => (await t.gql(MembersPendingDocument, {})).body.data!.members.find((m) => m.user.email === email)!;
const roleOf = async (email: string) => (await t.gql(MembersDocument, {})).body.data!.members.find((m) => m.user.email === email)!.role;
/** The Joined cell of a member's row (Name, Role, Joined, Actions after the email). */
const joinedCell = (page: Page, email: string) => page.getByRole('row').filter({ hasText: email }).getByRole('cell').nth(2);

it('a role change asks first: Cancel keeps the role, confirming changes it', async () => {
  const { page } = ui;
  const select = page.getByLabel('Role of mel@acme.test');
  expect(await select.inputValue()).toBe('MEMBER');

  await select.selectOption('ADMIN');
  const ask = page.getByRole('dialog', { name: 'Change the role of mel@acme.test' });
  expect(await ask.getByRole('paragraph').first().textContent()).toBe(
    'mel@acme.test: MEMBER → ADMIN. It applies to their next request, and to their USER key.',
  );
  expect(await roleOf('mel@acme.test')).toBe('MEMBER');
  await ask.getByRole('button', { name: 'Cancel' }).click();
  await ask.waitFor({ state: 'detached' });
  expect(await select.inputValue()).toBe('MEMBER');
  expect(await roleOf('mel@acme.test')).toBe('MEMBER');

  await select.selectOption('ADMIN');
  const changed = page.waitForResponse(
    (r) => r.url() === `${origin}/graphql` && (r.request().postData() ?? '').includes('mutation UpdateMemberRole'),
  );
  await ask.getByRole('button', { name: 'Make ADMIN' }).click();
  expect((await changed).status()).toBe(200);
  await ask.waitFor({ state: 'detached' });
  expect(await roleOf('mel@acme.test')).toBe('ADMIN');
  // The page shows the role the reloaded list has.
  const id = (await select.getAttribute('id'))!;
  await page.waitForFunction((selectId) => (document.getElementById(selectId) as HTMLSelectElement | null)?.value === 'ADMIN', id);
  expect(await select.inputValue()).toBe('ADMIN');
  expect(ui.errors).toEqual([]);
});

it('an invited member shows Pending until they sign in, then the day they joined', async () => {
  const { page } = ui;
  const form = page.getByRole('form', { name: 'Add a member' });
  await form.getByLabel('Email').fill('nina@acme.test');
  await form.getByLabel('Role').selectOption('VIEWER');
  await form.getByRole('button', { name: 'Add member' }).click();
  const cell = joinedCell(page, 'nina@acme.test');
  await cell.waitFor();
  expect(await cell.locator('.status').textContent()).toBe('Pending');
  expect(await cell.textContent()).toBe(`Pending invited ${new Date().toISOString().slice(0, 10)}, not signed in yet`);
  expect(await member('nina@acme.test')).toMatchObject({ pending: true, firstSignedInAt: null });
  // The owner, who signed in, is not pending.
  expect(await joinedCell(page, 'owner@acme.test').locator('.status').count()).toBe(0);

  // Nina signs in, in her own browser.
  const nina = await member('nina@acme.test');
  const her = await openConsole(browser, origin);
  await signInWithLink(her.page, t, { userId: nina.user.id } as Member);
  await her.context.close();
  const joined = await member('nina@acme.test');
  expect(joined.pending).toBe(false);

  await page.reload();
  const after = joinedCell(page, 'nina@acme.test');
  await after.waitFor();
  expect(await after.textContent()).toBe(joined.firstSignedInAt!.slice(0, 10));
  expect(await after.locator('.status').count()).toBe(0);
  expect(ui.errors).toEqual([]);
});
