import { csrfTokenFor } from '../../src/auth/browser-sessions';
import { ViewerMembershipsDocument } from '../generated/graphql';
import { expectOk, expectUnauthenticated } from '../support/expect';
import { requestBody, withRequestIdChecked } from '../support/graphql-request';
import { TestApp, type GqlResponse } from '../support/harness';

/**
 * The console's sign-in: a one-time link starts a browser session held in an HttpOnly,
 * SameSite=Strict cookie, usable by the API only with its CSRF header; signing out ends it
 * everywhere. Real database, real Fastify, requests injected.
 */
let t: TestApp;

beforeAll(async () => {
  t = await TestApp.create();
});
afterAll(() => t.close());

interface Cookie {
  name: string;
  value: string;
  httpOnly?: boolean;
  sameSite?: string;
  secure?: boolean;
  path?: string;
  maxAge?: number;
}

async function signInWithLink(token: string, app = t.app, as?: { session: string; csrf?: string; switch?: boolean }) {
  const headers: Record<string, string> = {};
  if (as) headers.cookie = `keygate_session=${as.session}`;
  if (as?.csrf) headers['x-keygate-csrf'] = as.csrf;
  const payload = as?.switch === undefined ? { token } : { token, switch: as.switch };
  const res = await app.server.inject({ method: 'POST', url: '/console/auth/sign-in-link', headers, payload });
  const cookies = res.cookies as Cookie[];
  return {
    status: res.statusCode,
    body: res.body ? JSON.parse(res.body) : null,
    cookies,
    session: cookies.find((c) => c.name === 'keygate_session'),
    csrf: cookies.find((c) => c.name === 'keygate_csrf'),
  };
}

async function viewerWith(cookie: string | undefined, csrf: string | undefined, extra: Record<string, string> = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...extra };
  if (cookie) headers.cookie = `keygate_session=${cookie}`;
  if (csrf) headers['x-keygate-csrf'] = csrf;
  const res = await t.app.server.inject({ method: 'POST', url: '/graphql', headers, payload: requestBody(ViewerMembershipsDocument) });
  return withRequestIdChecked({ status: res.statusCode, headers: res.headers, body: JSON.parse(res.body) }) as GqlResponse<any>;
}

const newLink = async (ttlSeconds?: number) => (await t.app.browserSessions.createSignInLink(t.owner.userId, ttlSeconds)).token;

describe('console sign-in with a one-time link', () => {
  it('GET /console/auth/options: links are offered; no OIDC provider is configured here', async () => {
    const res = await t.app.server.inject({ method: 'GET', url: '/console/auth/options' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ signInLink: true, oidc: null });
  });

  it('a link signs in once: HttpOnly SameSite=Strict session cookie plus a readable CSRF cookie, not Secure outside production', async () => {
    const signIn = await signInWithLink(await newLink());
    expect(signIn.status).toBe(204);
    expect(signIn.session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/', maxAge: 12 * 3600 });
    expect(signIn.session!.secure).toBeUndefined();
    expect(signIn.csrf).toMatchObject({ sameSite: 'Strict', path: '/' });
    expect(signIn.csrf!.httpOnly).toBeUndefined();
    // Stored only as a hash.
    const [row] = await t.dataSource.query('SELECT token_hash FROM browser_sessions ORDER BY created_at DESC LIMIT 1');
    expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.token_hash).not.toContain(signIn.session!.value);

    const data = expectOk(await viewerWith(signIn.session!.value, signIn.csrf!.value));
    expect(data.viewer).toMatchObject({ kind: 'USER', role: 'OWNER', organization: { id: t.org.id }, user: { id: t.owner.userId } });
  });

  it('the same link a second time, an unknown link, and an expired link are all INVALID_SIGN_IN_LINK', async () => {
    const link = await newLink();
    expect((await signInWithLink(link)).status).toBe(204);
    const again = await signInWithLink(link);
    expect(again.status).toBe(401);
    expect(again.body.error).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'INVALID_SIGN_IN_LINK' });
    expect(again.cookies).toEqual([]);
    expect((await signInWithLink('not-a-link')).status).toBe(401);

    const expired = await newLink();
    await t.sql(`UPDATE sign_in_links SET expires_at = now() - interval '1 second' WHERE used_at IS NULL`);
    expect((await signInWithLink(expired)).status).toBe(401);
  });

  it('two tabs racing with one link get exactly one session', async () => {
    const link = await newLink();
    const results = await Promise.all([signInWithLink(link), signInWithLink(link), signInWithLink(link)]);
    expect(results.map((r) => r.status).sort()).toEqual([204, 401, 401]);
  });

  it('a body that is not JSON with a token is a 400, not a sign-in (a cross-site form cannot send one)', async () => {
    const text = await t.app.server.inject({
      method: 'POST',
      url: '/console/auth/sign-in-link',
      headers: { 'content-type': 'text/plain' },
      payload: JSON.stringify({ token: await newLink() }),
    });
    expect(text.statusCode).toBe(400);
    const form = await t.app.server.inject({
      method: 'POST',
      url: '/console/auth/sign-in-link',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'token=x',
    });
    expect(form.statusCode).toBe(415);
  });
});

describe('the session cookie needs its CSRF header', () => {
  let session: string;
  let csrf: string;
  beforeAll(async () => {
    const signIn = await signInWithLink(await newLink());
    session = signIn.session!.value;
    csrf = signIn.csrf!.value;
  });

  it('without x-keygate-csrf: 401 CSRF, before any query', async () => {
    const { result, count } = await t.countQueries(() => viewerWith(session, undefined));
    expectUnauthenticated(result, 'CSRF');
    expect(count).toBe(0);
    expectOk(await viewerWith(session, csrf));
  });

  it('with another session’s CSRF token: 401 CSRF', async () => {
    const otherSignIn = await signInWithLink(await newLink());
    expectUnauthenticated(await viewerWith(session, otherSignIn.csrf!.value), 'CSRF');
  });

  it('an x-api-key beside the cookie wins: the cookie is not consulted', async () => {
    const res = await viewerWith(session, undefined, { 'x-api-key': t.rootKey });
    expect(expectOk(res).viewer.kind).toBe('API_KEY');
  });

  it('a forged session cookie with a matching CSRF value is INVALID_SESSION (counted by the failed-auth throttle)', async () => {
    expectUnauthenticated(await viewerWith('forged-session', csrfTokenFor('forged-session')), 'INVALID_SESSION');
  });

  it('an expired session is INVALID_SESSION', async () => {
    const signIn = await signInWithLink(await newLink());
    await t.sql(`UPDATE browser_sessions SET expires_at = now() - interval '1 second' WHERE revoked_at IS NULL AND expires_at > now()
                  AND created_at = (SELECT max(created_at) FROM browser_sessions)`);
    expectUnauthenticated(await viewerWith(signIn.session!.value, signIn.csrf!.value), 'INVALID_SESSION');
  });
});

describe('signing out', () => {
  it('needs the CSRF header, revokes the session row (a copied cookie stops working) and clears both cookies', async () => {
    const signIn = await signInWithLink(await newLink());
    const cookie = `keygate_session=${signIn.session!.value}`;
    const refused = await t.app.server.inject({ method: 'POST', url: '/console/auth/sign-out', headers: { cookie } });
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error.reason).toBe('CSRF');
    expectOk(await viewerWith(signIn.session!.value, signIn.csrf!.value));

    const out = await t.app.server.inject({
      method: 'POST',
      url: '/console/auth/sign-out',
      headers: { cookie, 'x-keygate-csrf': signIn.csrf!.value },
    });
    expect(out.statusCode).toBe(204);
    const cleared = out.cookies as Cookie[];
    expect(cleared.map((c) => [c.name, c.value]).sort()).toEqual([
      ['keygate_csrf', ''],
      ['keygate_session', ''],
    ]);
    expectUnauthenticated(await viewerWith(signIn.session!.value, signIn.csrf!.value), 'INVALID_SESSION');
  });

  it('a member removed from the organization loses the console at once', async () => {
    const member = await t.addMember('leaving@acme.test', 'ADMIN' as never);
    const link = await t.app.browserSessions.createSignInLink(member.userId);
    const signIn = await signInWithLink(link.token);
    expectOk(await viewerWith(signIn.session!.value, signIn.csrf!.value));
    await t.app.services.members.remove(t.owner.caller, member.userId);
    expectUnauthenticated(await viewerWith(signIn.session!.value, signIn.csrf!.value), 'INVALID_SESSION');
  });
});

/**
 * Issue 17, finding 3 (login CSRF): a page that sent a signed-in owner to
 * `/console/#sign-in=<a link minted for another person>` silently switched them to that account.
 */
describe('a link for someone else never replaces a signed-in session silently', () => {
  let owner: { session: string; csrf: string };
  let other: { userId: string; email: string };
  const linkFor = async (userId: string) => (await t.app.browserSessions.createSignInLink(userId)).token;
  const unusedLinks = async (userId: string) =>
    Number((await t.dataSource.query('SELECT count(*) AS n FROM sign_in_links WHERE user_id = $1 AND used_at IS NULL', [userId]))[0].n);

  beforeAll(async () => {
    const signIn = await signInWithLink(await newLink());
    owner = { session: signIn.session!.value, csrf: signIn.csrf!.value };
    other = await t.addMember('attacker@elsewhere.test', 'MEMBER' as never);
  });

  it('409 naming both people; no cookie set; the link stays unused; the owner is still signed in', async () => {
    const link = await linkFor(other.userId);
    const before = await unusedLinks(other.userId);
    const res = await signInWithLink(link, t.app, { session: owner.session });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({
      error: {
        code: 'CONFLICT',
        reason: 'SIGNED_IN_AS_SOMEONE_ELSE',
        message:
          'This sign-in link is for attacker@elsewhere.test, and you are signed in as owner@acme.test. Nothing has changed; send "switch": true to sign in as attacker@elsewhere.test.',
        link: { email: 'attacker@elsewhere.test' },
        signedIn: { email: 'owner@acme.test' },
      },
    });
    expect(res.cookies).toEqual([]);
    expect(await unusedLinks(other.userId)).toBe(before);
    const data = expectOk(await viewerWith(owner.session, owner.csrf));
    expect(data.viewer.user.id).toBe(t.owner.userId);
  });

  it('"switch": false, or a switch without the current session’s CSRF header, changes nothing either', async () => {
    const link = await linkFor(other.userId);
    expect((await signInWithLink(link, t.app, { session: owner.session, switch: false })).status).toBe(409);
    const forged = await signInWithLink(link, t.app, { session: owner.session, switch: true, csrf: 'forged' });
    expect(forged.status).toBe(401);
    expect(forged.body.error).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'CSRF' });
    expect(forged.cookies).toEqual([]);
    expectOk(await viewerWith(owner.session, owner.csrf));
  });

  it('the confirmed switch ends the current session and signs in as the link’s person', async () => {
    const link = await linkFor(other.userId);
    const res = await signInWithLink(link, t.app, { session: owner.session, csrf: owner.csrf, switch: true });
    expect(res.status).toBe(204);
    const data = expectOk(await viewerWith(res.session!.value, res.csrf!.value));
    expect(data.viewer.user.id).toBe(other.userId);
    // The owner's session in this browser is over, not left running beside the new one.
    expectUnauthenticated(await viewerWith(owner.session, owner.csrf), 'INVALID_SESSION');
  });

  it('with no session, an expired one, or the same person, a link signs in as before', async () => {
    const fresh = await signInWithLink(await newLink());
    const same = await signInWithLink(await newLink(), t.app, { session: fresh.session!.value });
    expect(same.status).toBe(204);
    const ended = await signInWithLink(await newLink());
    await t.app.browserSessions.end(ended.session!.value);
    expect((await signInWithLink(await linkFor(other.userId), t.app, { session: ended.session!.value })).status).toBe(204);
  });
});

/**
 * The attacker's review of issue 17: a page elsewhere posted a text/plain form to sign-out (no
 * cookie goes cross-site, so no CSRF check ran, and the answer cleared the cookies), then sent
 * the person to its own link, which, with no session left, signed them in silently.
 */
describe('the console’s POST routes answer only keygate’s own pages', () => {
  const crossSite = { origin: 'http://evil.test:4999', 'sec-fetch-site': 'cross-site', 'content-type': 'text/plain' };

  it('a cross-site form to sign-out: 403, no cookie touched, the session still works', async () => {
    const signIn = await signInWithLink(await newLink());
    const res = await t.app.server.inject({
      method: 'POST',
      url: '/console/auth/sign-out',
      headers: { ...crossSite, cookie: `keygate_session=${signIn.session!.value}` },
      payload: 'a=b',
    });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ error: { code: 'FORBIDDEN', message: "The console's sign-in routes refuse cross-site requests." } });
    expect(res.cookies).toEqual([]);
    expectOk(await viewerWith(signIn.session!.value, signIn.csrf!.value));
  });

  it.each([
    [{ origin: 'http://evil.test:4999' }, "The console's sign-in routes refuse requests from origin http://evil.test:4999."],
    [{ 'sec-fetch-site': 'same-site' }, "The console's sign-in routes refuse same-site requests."],
  ])('sign-in with a link from %j: 403, the link unused', async (headers, message) => {
    const link = await newLink();
    const res = await t.app.server.inject({ method: 'POST', url: '/console/auth/sign-in-link', headers, payload: { token: link } });
    expect([res.statusCode, res.json()]).toEqual([403, { error: { code: 'FORBIDDEN', message } }]);
    expect((await signInWithLink(link)).status).toBe(204);
  });

  it('keygate’s own origin, and requests with neither header (scripts), are answered as before', async () => {
    const origin = new URL(t.config.publicUrl).origin;
    const res = await t.app.server.inject({
      method: 'POST',
      url: '/console/auth/sign-in-link',
      headers: { origin, 'sec-fetch-site': 'same-origin' },
      payload: { token: await newLink() },
    });
    expect(res.statusCode).toBe(204);
  });

  it('sign-out without a session cookie ends nothing and sets no cookie', async () => {
    const res = await t.app.server.inject({ method: 'POST', url: '/console/auth/sign-out' });
    expect(res.statusCode).toBe(204);
    expect(res.cookies).toEqual([]);
  });
});

describe('in production', () => {
  it('the session cookies are Secure', async () => {
    const prod = await t.secondInstance({ NODE_ENV: 'production', PRINT_BOOTSTRAP_KEY: 'false', HOST: '127.0.0.1' });
    try {
      const signIn = await signInWithLink(await newLink(), prod.app);
      expect(signIn.status).toBe(204);
      expect(signIn.session!.secure).toBe(true);
      expect(signIn.csrf!.secure).toBe(true);
    } finally {
      await prod.close();
    }
  });
});
