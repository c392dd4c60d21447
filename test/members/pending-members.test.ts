import { Role } from '../../src/kernel/access';
import { AddMemberDocument, MembersPendingDocument, ViewerPrincipalDocument } from '../generated/graphql';
import { expectForbidden, expectOk } from '../support/expect';
import { TestApp, type Auth } from '../support/harness';

/**
 * Issue 19: a member added by email is pending (`pending: true`, `firstSignedInAt: null`) until
 * they first sign in to the console — by a one-time link or the identity provider — in any
 * organization after being added. Calls with a session token alone do not count.
 */
let t: TestApp;
let other: Awaited<ReturnType<TestApp['createOtherOrganization']>>;

beforeAll(async () => {
  t = await TestApp.create();
  other = await t.createOtherOrganization('Pending Elsewhere');
});
afterAll(() => t.close());

const membersAs = async (auth: Auth = { key: t.rootKey }) => expectOk(await t.gql(MembersPendingDocument, {}, auth)).members;
const memberNamed = async (email: string, auth?: Auth) => (await membersAs(auth)).find((m) => m.user.email === email);
const invite = async (email: string, role: Role = Role.MEMBER, auth: Auth = { key: t.rootKey }) =>
  expectOk(await t.gql(AddMemberDocument, { email, role }, auth)).addMember.user.id;
/** What the console's link does: a link for the user, spent for a browser session. */
const signInWithLink = async (userId: string) => {
  const link = await t.app.browserSessions.createSignInLink(userId);
  const session = await t.app.browserSessions.signInWithLink(link.token);
  expect(session?.userId).toBe(userId);
};

describe('happy: pending until the first sign-in, then joined', () => {
  it('an invited member is pending; a sign-in link marks them signed in, once', async () => {
    const userId = await invite('invitee@acme.test');
    expect(await memberNamed('invitee@acme.test')).toMatchObject({ pending: true, firstSignedInAt: null });

    const before = Date.now();
    await signInWithLink(userId);
    const joined = (await memberNamed('invitee@acme.test'))!;
    expect(joined.pending).toBe(false);
    const at = new Date(joined.firstSignedInAt!).getTime();
    expect(at).toBeGreaterThanOrEqual(before - 1000);
    expect(at).toBeLessThanOrEqual(Date.now() + 1000);
    expect(at).toBeGreaterThanOrEqual(new Date(joined.joinedAt).getTime());

    // A second sign-in keeps the first moment.
    await signInWithLink(userId);
    expect((await memberNamed('invitee@acme.test'))!.firstSignedInAt).toBe(joined.firstSignedInAt);
  });

  it('a sign-in through the identity provider (a session started for the linked user) counts too', async () => {
    const userId = await invite('oidc-invitee@acme.test');
    await t.app.browserSessions.start(userId);
    expect(await memberNamed('oidc-invitee@acme.test')).toMatchObject({ pending: false, firstSignedInAt: expect.any(String) });
  });
});

describe('error: what does not count as signing in', () => {
  it('using a session token (Bearer) does not end pending; an unspent or expired link neither', async () => {
    const member = await t.addMember('token-only@acme.test', Role.ADMIN);
    expectOk(await t.gql(ViewerPrincipalDocument, {}, { token: member.token }));
    const link = await t.app.browserSessions.createSignInLink(member.userId);
    expect(await memberNamed('token-only@acme.test')).toMatchObject({ pending: true, firstSignedInAt: null });

    await t.sql(`UPDATE sign_in_links SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [member.userId]);
    expect(await t.app.browserSessions.signInWithLink(link.token)).toBeNull();
    expect(await memberNamed('token-only@acme.test')).toMatchObject({ pending: true, firstSignedInAt: null });
  });

  it('signing in before being added to an organization does not make that membership joined; the next sign-in does', async () => {
    const userId = await invite('two-orgs@acme.test');
    await signInWithLink(userId);
    expect((await memberNamed('two-orgs@acme.test'))!.pending).toBe(false);

    await invite('two-orgs@acme.test', Role.MEMBER, { key: other.rootKey });
    expect(await memberNamed('two-orgs@acme.test', { key: other.rootKey })).toMatchObject({ pending: true, firstSignedInAt: null });
    await signInWithLink(userId);
    expect((await memberNamed('two-orgs@acme.test', { key: other.rootKey }))!.pending).toBe(false);
  });
});

describe('security', () => {
  it('pending and firstSignedInAt need members:read like the rest of Member: FORBIDDEN (403) without it', async () => {
    const noMembers = await t.createKey({ apiKeys: ['read'] }, { name: 'no members:read' });
    expectForbidden(await t.gql(MembersPendingDocument, {}, { key: noMembers.secret }), 'members:read');
  });

  it('another organization’s members, pending or not, are not listed', async () => {
    await invite('only-here@acme.test');
    expect(await memberNamed('only-here@acme.test', { key: other.rootKey })).toBeUndefined();
    expect((await membersAs({ key: other.rootKey })).map((m) => m.user.email).sort()).toEqual([
      'owner@pending-elsewhere.test',
      'two-orgs@acme.test',
    ]);
  });
});
