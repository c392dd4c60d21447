import { Role } from '../../src/kernel/access';
import { AddMemberDocument, MembersPendingDocument, ViewerPrincipalDocument } from '../generated/graphql';
import { expectForbidden, expectOk } from '../support/expect';
import { TestApp, type Auth } from '../support/harness';

/**
 * Issue 19: a member added by email is pending (`pending: true`, `firstSignedInAt: null`) until
 * their console session first acts in that organization — after a one-time link or the identity
 * provider. Only that organization's membership: signing in to one organization tells no other
 * when, or whether, the person signed in (an attacker's pass found that oracle). Calls with a
 * session token alone do not count.
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
type Session = { token: string; csrf: string };
/** What the console's link does: a link for the user, spent for a browser session. */
const signInWithLink = async (userId: string): Promise<Session> => {
  const link = await t.app.browserSessions.createSignInLink(userId);
  const session = await t.app.browserSessions.signInWithLink(link.token);
  expect(session?.userId).toBe(userId);
  return session!;
};
/** What the console does next: a request with the cookie and its CSRF header, in `org` (else the default one). */
const actInConsole = async (session: Session, org?: string) => {
  const headers: Record<string, string> = { cookie: `keygate_session=${session.token}`, 'x-keygate-csrf': session.csrf };
  if (org) headers['x-keygate-org'] = org;
  expectOk(await t.gql(ViewerPrincipalDocument, {}, { headers }));
};

describe('happy: pending until the console first acts in the organization, then joined', () => {
  it('an invited member is pending; their console session’s first request marks them joined, once', async () => {
    const userId = await invite('invitee@acme.test');
    expect(await memberNamed('invitee@acme.test')).toMatchObject({ pending: true, firstSignedInAt: null });

    const before = Date.now();
    const session = await signInWithLink(userId);
    await actInConsole(session);
    const joined = (await memberNamed('invitee@acme.test'))!;
    expect(joined.pending).toBe(false);
    const at = new Date(joined.firstSignedInAt!).getTime();
    expect(at).toBeGreaterThanOrEqual(before - 1000);
    expect(at).toBeLessThanOrEqual(Date.now() + 1000);
    expect(at).toBeGreaterThanOrEqual(new Date(joined.joinedAt).getTime());

    // Later requests and sign-ins keep the first moment.
    await actInConsole(await signInWithLink(userId));
    expect((await memberNamed('invitee@acme.test'))!.firstSignedInAt).toBe(joined.firstSignedInAt);
  });

  it('a session started through the identity provider counts too', async () => {
    const userId = await invite('oidc-invitee@acme.test');
    await actInConsole(await t.app.browserSessions.start(userId));
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

  it('signing in and working in one organization leaves the person pending in another until they act there', async () => {
    const userId = await invite('two-orgs@acme.test');
    await invite('two-orgs@acme.test', Role.MEMBER, { key: other.rootKey });
    const session = await signInWithLink(userId);
    await actInConsole(session, t.org.id);
    expect((await memberNamed('two-orgs@acme.test'))!.pending).toBe(false);
    // The other organization learns nothing of it: still pending, no time.
    expect(await memberNamed('two-orgs@acme.test', { key: other.rootKey })).toMatchObject({ pending: true, firstSignedInAt: null });
    await actInConsole(await signInWithLink(userId), other.org.id);
    expect(await memberNamed('two-orgs@acme.test', { key: other.rootKey })).toMatchObject({
      pending: false,
      firstSignedInAt: expect.any(String),
    });
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
