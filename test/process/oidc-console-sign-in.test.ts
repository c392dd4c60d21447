import { ViewerMembershipsDocument } from '../generated/graphql';
import { CookieJar } from '../support/cookie-jar';
import { requestBody } from '../support/graphql-request';
import type { TestApp } from '../support/harness';
import { PROCESS_TIMEOUT_MS } from '../support/processes';
import { startOidcSignIn, type OidcSignInSetup } from '../support/oidc-sign-in-setup';

jest.setTimeout(PROCESS_TIMEOUT_MS);

/**
 * The console's sign-in through a real OpenID Connect provider (oidc-provider on loopback), end
 * to end over HTTP: keygate sends the browser to the provider with PKCE, state and nonce; the
 * person signs in and consents on the provider's pages; the provider sends them back with a code;
 * keygate redeems it, links the invited member and starts a console session.
 */
let setup: OidcSignInSetup;
let t: TestApp;
let keygate: string;
let issuer: string;

beforeAll(async () => {
  setup = await startOidcSignIn();
  ({ t, keygate, issuer } = setup);
});

afterAll(async () => {
  await setup?.close();
});

/** Signs in on the provider's development pages as `login`, consenting; returns where keygate finally sends the browser. */
async function signInAs(jar: CookieJar, login: string): Promise<{ landing: string; hops: string[] }> {
  const start = await jar.follow(`${keygate}/console/auth/oidc/start?returnTo=/console/keys`);
  const hops = [...start.hops];
  let response = start.response;
  let url = hops[hops.length - 1];
  // The provider's interaction pages: login, then consent; each form posts back to the page's URL.
  const forms: Record<string, string>[] = [{ prompt: 'login', login, password: 'any' }, { prompt: 'consent' }];
  for (const form of forms) {
    expect(response.status).toBe(200);
    expect(url.startsWith(`${issuer}/interaction/`)).toBe(true);
    await response.text();
    const posted = await jar.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    const next = await jar.follow(new URL(posted.headers.get('location')!, url).href);
    hops.push(...next.hops);
    response = next.response;
    url = next.hops[next.hops.length - 1];
    if (url.startsWith(keygate)) break;
  }
  return { landing: url, hops };
}

async function viewer(jar: CookieJar) {
  const res = await jar.fetch(`${keygate}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-keygate-csrf': jar.cookie(keygate, 'keygate_csrf') ?? '' },
    body: JSON.stringify(requestBody(ViewerMembershipsDocument)),
  });
  return { status: res.status, body: (await res.json()) as { data?: any; errors?: any[] } };
}

it('the console offers the provider by its host', async () => {
  const res = await fetch(`${keygate}/console/auth/options`);
  expect(await res.json()).toEqual({ signInLink: true, oidc: { label: new URL(issuer).host, startUrl: '/console/auth/oidc/start' } });
});

it('an invited member signs in with the provider (code + PKCE) and lands in the console with a session', async () => {
  const jar = new CookieJar();
  const { landing, hops } = await signInAs(jar, 'ada@acme.test');
  // keygate → provider authorize with PKCE S256, state and nonce.
  const authorize = new URL(hops.find((h) => h.startsWith(`${issuer}/auth?`))!);
  expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
  expect(authorize.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
  expect(authorize.searchParams.get('state')).toBeTruthy();
  expect(authorize.searchParams.get('nonce')).toBeTruthy();
  expect(authorize.searchParams.get('redirect_uri')).toBe(`${keygate}/console/auth/oidc/callback`);
  expect(landing).toBe(`${keygate}/console/keys`);
  expect(jar.cookie(keygate, 'keygate_session')).toBeDefined();
  expect(jar.cookie(keygate, 'keygate_oidc')).toBeUndefined();

  const res = await viewer(jar);
  expect(res.status).toBe(200);
  expect(res.body.data.viewer).toMatchObject({ kind: 'USER', role: 'MEMBER', user: { email: 'ada@acme.test' } });
  const linked = await t.dataSource.query('SELECT issuer, subject FROM user_identities');
  expect(linked).toEqual([{ issuer, subject: 'ada@acme.test' }]);
});

it('someone the organization never invited is sent back to the console with the reason, and gets no session', async () => {
  const jar = new CookieJar();
  const { landing } = await signInAs(jar, 'stranger@else.test');
  const url = new URL(landing);
  expect(`${url.origin}${url.pathname}`).toBe(`${keygate}/console/`);
  expect(decodeURIComponent(url.hash)).toBe(
    `#sign-in-error=${new URL(issuer).host} signed you in, but you are not a member of any keygate organization yet: ask an owner to invite your email.`,
  );
  expect(jar.cookie(keygate, 'keygate_session')).toBeUndefined();
});

it('a callback that keygate did not start (no transaction cookie, or another state) signs nobody in', async () => {
  const jar = new CookieJar();
  const bare = await jar.fetch(`${keygate}/console/auth/oidc/callback?code=stolen&state=whatever`);
  expect(bare.status).toBe(302);
  expect(decodeURIComponent(bare.headers.get('location')!)).toBe(
    '/console/#sign-in-error=The sign-in took too long or was started elsewhere; start again.',
  );
  await jar.fetch(`${keygate}/console/auth/oidc/start`);
  const forged = await jar.fetch(`${keygate}/console/auth/oidc/callback?code=stolen&state=not-the-state`);
  expect(decodeURIComponent(forged.headers.get('location')!)).toMatch(/^\/console\/#sign-in-error=Sign-in with .* failed; try again\.$/);
  expect(jar.cookie(keygate, 'keygate_session')).toBeUndefined();
});

it('returnTo cannot send the browser off the console (no open redirect)', async () => {
  const jar = new CookieJar();
  for (const target of ['https://evil.example/', '//evil.example', '/console/../graphiql']) {
    const res = await jar.fetch(`${keygate}/console/auth/oidc/start?returnTo=${encodeURIComponent(target)}`);
    const transaction = JSON.parse(Buffer.from(jar.cookie(keygate, 'keygate_oidc')!, 'base64url').toString());
    expect(transaction.returnTo).toBe('/console/');
    expect(res.status).toBe(302);
  }
});
