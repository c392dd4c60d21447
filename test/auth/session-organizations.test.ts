import { SignJWT } from 'jose';
import { Role } from '../../src/kernel/access';
import { ViewerMembershipsDocument } from '../generated/graphql';
import { expectOk, expectUnauthenticated } from '../support/expect';
import { TEST_SESSION_SECRET, TestApp, type OtherOrganization } from '../support/harness';

/**
 * A person may belong to several organizations: a session token that names none acts in the one
 * the request picks (`x-keygate-org`), else in the person's oldest membership; `viewer` says which,
 * with the role and the list for a switcher. Every failure answers INVALID_SESSION and logs why.
 */
let t: TestApp;
let other: OtherOrganization;
const logLines: string[] = [];
const secret = new TextEncoder().encode(TEST_SESSION_SECRET);

const token = (claims: Record<string, unknown>) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('1h').sign(secret);

/** The log lines written since `from`, parsed. */
const logSince = (from: number) => logLines.slice(from).map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  t = await TestApp.create({ logLines });
  other = await t.createOtherOrganization('Beta');
  // The first organization's owner joins Beta later, as a VIEWER.
  await t.sql(`INSERT INTO memberships (org_id, user_id, role, joined_at) VALUES ($1, $2, 'VIEWER', now() + interval '1 minute')`, [
    other.org.id,
    t.owner.userId,
  ]);
});
afterAll(() => t.close());

describe('choosing the organization of a session', () => {
  it('a token without an org claim acts in the oldest membership, and viewer lists every membership with its role', async () => {
    const data = expectOk(await t.gql(ViewerMembershipsDocument, {}, { token: await token({ sub: t.owner.userId }) }));
    expect(data.viewer).toEqual({
      kind: 'USER',
      role: 'OWNER',
      organization: { id: t.org.id },
      user: { id: t.owner.userId, email: t.owner.email },
      organizations: [
        { role: 'OWNER', organization: { id: t.org.id, name: t.org.name } },
        { role: 'VIEWER', organization: { id: other.org.id, name: 'Beta' } },
      ],
    });
  });

  it('x-keygate-org picks another membership, with the role held there', async () => {
    const res = await t.gql(
      ViewerMembershipsDocument,
      {},
      { headers: { authorization: `Bearer ${await token({ sub: t.owner.userId })}`, 'x-keygate-org': other.org.id } },
    );
    const data = expectOk(res);
    expect(data.viewer.organization.id).toBe(other.org.id);
    expect(data.viewer.role).toBe(Role.VIEWER);
  });

  it.each([
    [
      'an organization the person does not belong to',
      () => t.createOtherOrganization('Gamma').then((g) => g.org.id),
      /is not a member of organization/,
    ],
    ['a value that is not an organization id', async () => 'acme', /"acme" is not an organization id/],
  ])('x-keygate-org naming %s: INVALID_SESSION, and the log says why', async (_case, org, cause) => {
    const from = logLines.length;
    const bearer = await token({ sub: t.owner.userId });
    const res = await t.gql(
      ViewerMembershipsDocument,
      {},
      { headers: { authorization: `Bearer ${bearer}`, 'x-keygate-org': await org() } },
    );
    expectUnauthenticated(res, 'INVALID_SESSION');
    const refused = logSince(from).find((l) => l.msg === 'authentication refused');
    expect(refused).toMatchObject({ reason: 'INVALID_SESSION', cause: expect.stringMatching(cause) });
    expect(logLines.slice(from).join('\n')).not.toContain(bearer);
  });

  it('a token bound to one organization cannot be pointed at another with the header', async () => {
    const from = logLines.length;
    const bound = await token({ sub: t.owner.userId, org: t.org.id });
    const res = await t.gql(
      ViewerMembershipsDocument,
      {},
      { headers: { authorization: `Bearer ${bound}`, 'x-keygate-org': other.org.id } },
    );
    expectUnauthenticated(res, 'INVALID_SESSION');
    expect(logSince(from).find((l) => l.msg === 'authentication refused')?.cause).toBe(
      `the token is for organization ${t.org.id}; x-keygate-org asks for ${other.org.id}`,
    );
  });

  it('a bad signature is logged with its cause, under the same public reason', async () => {
    const from = logLines.length;
    const forged = await new SignJWT({ sub: t.owner.userId })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('another-secret-that-is-long-enough-0123456789'));
    expectUnauthenticated(await t.gql(ViewerMembershipsDocument, {}, { token: forged }), 'INVALID_SESSION');
    expect(logSince(from).find((l) => l.msg === 'authentication refused')?.cause).toBe('keygate token: signature verification failed');
  });

  it('a person with no membership at all is refused', async () => {
    const [lonely] = await t.dataSource.query(`INSERT INTO users (email) VALUES ('lonely@acme.test') RETURNING id`);
    expectUnauthenticated(await t.gql(ViewerMembershipsDocument, {}, { token: await token({ sub: lonely.id }) }), 'INVALID_SESSION');
  });
});

describe('viewer.role and viewer.organizations for keys', () => {
  it('a BOT key has no role and lists no organizations (it belongs to exactly one)', async () => {
    const data = expectOk(await t.gql(ViewerMembershipsDocument, {}));
    expect(data.viewer).toMatchObject({ kind: 'API_KEY', role: null, organization: { id: t.org.id }, organizations: [] });
  });

  it('a USER key has its owner’s current role, and lists none of the owner’s other organizations', async () => {
    const admin = await t.addMember('admin@acme.test', Role.ADMIN);
    const key = await t.createKey({ stats: ['read'] }, { type: 'USER' as never, by: admin });
    const data = expectOk(await t.gql(ViewerMembershipsDocument, {}, { key: key.secret }));
    expect(data.viewer).toMatchObject({ kind: 'API_KEY', role: 'ADMIN', organizations: [] });
  });
});
