import type { Browser, Locator, Page } from 'playwright-core';
import { ApiKeyType } from '../../src/auth/api-key-states';
import { Role } from '../../src/kernel/access';
import {
  CreateDomainDocument,
  CreateShortLinkDocument,
  CreateWebhookDocument,
  ObjectCapabilitiesDocument,
  RevokeApiKeyDocument,
} from '../generated/graphql';
import { BROWSER_TIMEOUT_MS, launchChromium, listen, openConsole, screenshot, signInWithLink } from '../support/browser';
import { TestApp, type Member } from '../support/harness';

/**
 * Every button a person may not use is disabled, never hidden, with the reason as visible text
 * that is also the button's accessible description — and the reason is the API's own.
 */
jest.setTimeout(6 * BROWSER_TIMEOUT_MS);

let t: TestApp;
let browser: Browser;
let origin: string;
let viewer: Member;
let admin: Member;

beforeAll(async () => {
  t = await TestApp.create();
  viewer = await t.addMember('vera@acme.test', Role.VIEWER);
  admin = await t.addMember('adam@acme.test', Role.ADMIN);
  await t.gql(CreateShortLinkDocument, { input: { url: 'https://example.com/launch', slug: 'launch' } });
  await t.gql(CreateDomainDocument, { hostname: 'go.acme.test' });
  await t.gql(CreateWebhookDocument, { input: { url: 'http://127.0.0.1:9/hook', events: ['apiKey.revoked'] } });
  await t.createKey({ stats: ['read'] }, { name: 'Owner laptop', type: ApiKeyType.USER });
  const old = await t.createKey({ stats: ['read'] }, { name: 'Old CI' });
  await t.gql(RevokeApiKeyDocument, { id: old.id, reason: 'replaced' });
  origin = await listen(t);
  browser = await launchChromium();
}, 4 * BROWSER_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** The button, disabled, and the text its aria-describedby points at. */
async function disabledWithReason(button: Locator): Promise<string> {
  expect(await button.isDisabled()).toBe(true);
  const describedBy = await button.getAttribute('aria-describedby');
  expect(describedBy).toBeTruthy();
  const reason = (await button.page().locator(`[id="${describedBy}"]`).textContent())!;
  expect(await button.getAttribute('title')).toBe(reason);
  return reason;
}

async function signedIn(member: Member): Promise<Page> {
  const { page } = await openConsole(browser, origin);
  await signInWithLink(page, t, member);
  return page;
}

it('a VIEWER opens on the first page they may read; the keys page shows Create key disabled and why nothing is listed, in the API’s words', async () => {
  const page = await signedIn(viewer);
  // A VIEWER holds no apiKeys:read or members:read: the home is Short links, not API keys.
  await page.getByRole('heading', { level: 1, name: 'Short links' }).waitFor();
  expect(new URL(page.url()).pathname).toBe('/console/');
  expect(await page.getByRole('link', { name: 'Short links' }).getAttribute('aria-current')).toBe('page');

  await page.getByRole('link', { name: 'Members' }).click();
  expect(await page.getByRole('note').textContent()).toBe('You cannot see the members: Missing permission members:read.');

  await page.getByRole('link', { name: 'API keys' }).click();
  const create = page.getByRole('button', { name: 'Create key' });
  expect(await disabledWithReason(create)).toBe('Missing permission apiKeys:create.');
  expect(await page.getByRole('note').textContent()).toBe('You cannot see this organization’s keys: Missing permission apiKeys:read.');
  await screenshot(page, 'viewer-disabled-buttons');
  await page.context().close();
});

it('a VIEWER sees the links’, domains’ and webhooks’ actions disabled with the API’s reasons', async () => {
  const page = await signedIn(viewer);
  const expected = (await t.gql(ObjectCapabilitiesDocument, {}, { token: viewer.token })).body.data!;
  const reason = (reasons: { action: string; reason: string }[], action: string) => reasons.find((r) => r.action === action)!.reason;

  await page.getByRole('link', { name: 'Short links' }).click();
  const link = page.getByRole('row').filter({ hasText: 'launch' });
  expect(await disabledWithReason(link.getByRole('button', { name: 'Delete' }))).toBe(
    reason(expected.shortLinks.nodes[0].viewerCan.reasons, 'delete'),
  );
  expect(await disabledWithReason(page.getByRole('button', { name: 'Create link' }))).toBe('Missing permission shortLinks:create.');
  await screenshot(page, 'viewer-disabled-links');

  await page.getByRole('link', { name: 'Domains' }).click();
  const domain = page.getByRole('row').filter({ hasText: 'go.acme.test' });
  expect(await disabledWithReason(domain.getByRole('button', { name: 'Verify' }))).toBe(
    reason(expected.domains[0].viewerCan.reasons, 'verify'),
  );
  expect(await disabledWithReason(domain.getByRole('button', { name: 'Delete' }))).toBe(
    reason(expected.domains[0].viewerCan.reasons, 'delete'),
  );

  await page.getByRole('link', { name: 'Webhooks' }).click();
  const hook = page.getByRole('row').filter({ hasText: 'http://127.0.0.1:9/hook' });
  const hookReasons = expected.webhooks[0].viewerCan.reasons;
  expect(await disabledWithReason(hook.getByRole('switch', { name: 'Enabled: http://127.0.0.1:9/hook' }))).toBe(
    reason(hookReasons, 'update'),
  );
  expect(await disabledWithReason(hook.getByRole('button', { name: 'Send test' }))).toBe(reason(hookReasons, 'test'));
  expect(await disabledWithReason(hook.getByRole('button', { name: 'Delete' }))).toBe(reason(hookReasons, 'delete'));
  expect(reason(hookReasons, 'delete')).toBe('Missing permission webhooks:delete.');
  await page.context().close();
});

it('an ADMIN cannot rotate the owner’s USER key (disabled, with the rule); a revoked key offers only Delete', async () => {
  const page = await signedIn(admin);
  const userKey = page.getByRole('row').filter({ hasText: 'Owner laptop' });
  expect(await disabledWithReason(userKey.getByRole('button', { name: 'Rotate' }))).toBe('Only the owner of a USER key can rotate it.');
  expect(await userKey.getByRole('button', { name: 'Revoke' }).isEnabled()).toBe(true);
  expect(await userKey.getByRole('cell').nth(1).textContent()).toBe('owner@acme.test');

  const revoked = page.getByRole('row').filter({ hasText: 'Old CI' });
  expect(await revoked.getByRole('button').allTextContents()).toEqual(['Delete']);
  expect(await revoked.getByRole('button', { name: 'Delete' }).isEnabled()).toBe(true);
  expect(await revoked.getByRole('switch').count()).toBe(0);
  expect(await revoked.getByText('REVOKED', { exact: true }).count()).toBe(1);
  await page.context().close();
});

it('members: the last owner cannot be removed or demoted, shown as the reason; an owner adds a member', async () => {
  const page = await signedIn(t.owner);
  await page.getByRole('link', { name: 'Members' }).click();
  const own = page.getByRole('row').filter({ hasText: 'owner@acme.test' });
  expect(await disabledWithReason(own.getByRole('button', { name: 'Remove' }))).toBe(
    'Cannot remove the last owner of the organization; make someone else an owner first.',
  );
  expect(await own.getByLabel('Role of owner@acme.test').isDisabled()).toBe(true);

  const form = page.getByRole('form', { name: 'Add a member' });
  await form.getByLabel('Email').fill('mia@acme.test');
  await form.getByLabel('Role').selectOption('MEMBER');
  await form.getByRole('button', { name: 'Add member' }).click();
  const added = page.getByRole('row').filter({ hasText: 'mia@acme.test' });
  await added.waitFor();
  expect(await added.getByLabel('Role of mia@acme.test').inputValue()).toBe('MEMBER');
  await screenshot(page, 'members');
  await page.context().close();
});
