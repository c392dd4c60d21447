import { generateKeyPair, SignJWT } from 'jose';
import { Role } from '../../src/kernel/access';
import { SessionTokens } from '../../src/auth/session-tokens';
import { ViewerMembershipsDocument } from '../generated/graphql';
import { expectOk, expectUnauthenticated } from '../support/expect';
import { TEST_SESSION_SECRET, TestApp, type Member } from '../support/harness';
import { LoopbackIdentityProvider } from '../support/identity-provider';

/**
 * Bearer tokens from any OpenID Connect provider: keygate finds the provider's keys by discovery,
 * links a provider identity (issuer, subject) to a keygate user on its first sign-in when the
 * provider vouches for the email of an invited member, and from then on knows the person by
 * (issuer, subject) alone. Claim names are configurable. Every failure is INVALID_SESSION with
 * the cause in the log.
 */
let t: TestApp;
let idp: LoopbackIdentityProvider;
let invited: Member;
const logLines: string[] = [];

const causeOfLastRefusal = (from: number) =>
  logLines
    .slice(from)
    .map((l) => JSON.parse(l) as { msg: string; cause?: string })
    .find((l) => l.msg === 'authentication refused')?.cause;

async function asBearer(token: string, org?: string) {
  return t.gql(ViewerMembershipsDocument, {}, { headers: { authorization: `Bearer ${token}`, ...(org ? { 'x-keygate-org': org } : {}) } });
}

beforeAll(async () => {
  idp = await LoopbackIdentityProvider.start();
  const sessionTokens = new SessionTokens({
    secret: TEST_SESSION_SECRET,
    provider: {
      issuer: idp.issuer,
      audience: 'keygate',
      allowHttp: true,
      claims: { email: 'email', emailVerified: 'email_verified', name: 'name', org: 'org' },
    },
    ttlSeconds: 3600,
  });
  t = await TestApp.create({ sessionTokens, logLines });
  invited = await t.addMember('ada@acme.test', Role.ADMIN);
});
afterAll(async () => {
  await t.close();
  await idp.close();
});

describe('first sign-in links the invited member by verified email', () => {
  it('links (issuer, subject) to the member, who then acts with their membership’s role', async () => {
    const token = await idp.token({ sub: 'idp|ada', email: 'Ada@Acme.test', email_verified: true, name: 'Ada L.' });
    const data = expectOk(await asBearer(token));
    expect(data.viewer).toMatchObject({ kind: 'USER', role: 'ADMIN', user: { id: invited.userId, email: 'ada@acme.test' } });
    const rows = await t.dataSource.query('SELECT issuer, subject, user_id FROM user_identities');
    expect(rows).toEqual([{ issuer: idp.issuer, subject: 'idp|ada', user_id: invited.userId }]);
    const [user] = await t.dataSource.query('SELECT name FROM users WHERE id = $1', [invited.userId]);
    expect(user.name).toBe('Ada L.');
  });

  it('later tokens are matched by subject alone: a changed email at the provider does not matter', async () => {
    const token = await idp.token({ sub: 'idp|ada', email: 'ada@new-domain.test', email_verified: true });
    expect(expectOk(await asBearer(token)).viewer.user!.id).toBe(invited.userId);
  });

  it('discovery and the JWKS are fetched once, not per request', async () => {
    expect(idp.hits.filter((h) => h === '/.well-known/openid-configuration')).toHaveLength(1);
    expect(idp.hits.filter((h) => h === '/jwks')).toHaveLength(1);
  });
});

describe('refusals: INVALID_SESSION, cause logged', () => {
  it.each([
    ['an unverified email', { sub: 'idp|eve', email: 'eve@acme.test', email_verified: false }, /email eve@acme.test is not verified/],
    ['no email at all', { sub: 'idp|eve' }, /its token carries no email/],
    [
      'the verified email of someone never invited',
      { sub: 'idp|stranger', email: 'stranger@else.test', email_verified: true },
      /not an invited member/,
    ],
    [
      // A second account at the same provider claiming an already-linked member's email must not take it over.
      'a second subject claiming an already-linked member’s email',
      { sub: 'idp|impostor', email: 'ada@acme.test', email_verified: true },
      /not an invited member, or that user is linked to another identity there/,
    ],
  ])('%s', async (_case, claims, cause) => {
    const from = logLines.length;
    expectUnauthenticated(await asBearer(await idp.token(claims)), 'INVALID_SESSION');
    expect(causeOfLastRefusal(from)).toMatch(cause);
    const linked = await t.dataSource.query('SELECT subject FROM user_identities WHERE subject = $1', [claims.sub]);
    expect(linked).toEqual([]);
  });

  it.each([
    ['another issuer', () => idp.token({ sub: 'idp|ada' }, { issuer: 'https://evil.example' }), /unexpected "iss" claim value/],
    ['another audience', () => idp.token({ sub: 'idp|ada' }, { audience: 'someone-else' }), /unexpected "aud" claim value/],
    [
      'a key the provider does not publish',
      async () => idp.token({ sub: 'idp|ada' }, { key: (await generateKeyPair('RS256')).privateKey, kid: 'idp-1' }),
      /signature verification failed/,
    ],
    [
      'alg none',
      async () => {
        const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
        return `${enc({ alg: 'none' })}.${enc({ sub: 'idp|ada', iss: idp.issuer, aud: 'keygate', exp: 9999999999 })}.`;
      },
      /unsupported alg none/,
    ],
  ])('a token from %s', async (_case, make, cause) => {
    const from = logLines.length;
    expectUnauthenticated(await asBearer(await make()), 'INVALID_SESSION');
    expect(causeOfLastRefusal(from)).toMatch(cause);
  });

  it('an HS256 token signed with keygate’s own secret is keygate’s (sub = user id), never taken as the provider’s', async () => {
    const own = await new SignJWT({ sub: 'idp|ada' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(TEST_SESSION_SECRET));
    const from = logLines.length;
    expectUnauthenticated(await asBearer(own), 'INVALID_SESSION');
    expect(causeOfLastRefusal(from)).toBe('the token subject is not a keygate user id');
  });
});

describe('the organization', () => {
  it('comes from the org claim when the provider sends one, or the x-keygate-org header', async () => {
    const other = await t.createOtherOrganization('Second');
    await t.sql(`INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, 'MEMBER')`, [other.org.id, invited.userId]);
    const claimed = await idp.token({ sub: 'idp|ada', org: other.org.id });
    expect(expectOk(await asBearer(claimed)).viewer).toMatchObject({ role: 'MEMBER', organization: { id: other.org.id } });
    const plain = await idp.token({ sub: 'idp|ada' });
    expect(expectOk(await asBearer(plain, other.org.id)).viewer.organization.id).toBe(other.org.id);
    expect(expectOk(await asBearer(plain)).viewer.organization.id).toBe(t.org.id);
  });
});
