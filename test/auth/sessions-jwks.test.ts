import { KEYGATE } from '../../src/modules';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { Authenticator } from '../../src/auth/authenticator';
import { SessionTokens } from '../../src/auth/session-tokens';
import { AuthFailureReason, UnauthenticatedError } from '../../src/kernel/errors';
import { TEST_SESSION_SECRET, TestApp } from '../support/harness';

/** An identity provider on loopback: a real JWKS endpoint, real RS256 signatures. */
let t: TestApp;
let server: http.Server;
let jwksUrl: string;
let signingKey: KeyLike;
let strangerKey: KeyLike;
let auth: Authenticator;

beforeAll(async () => {
  t = await TestApp.create();
  ({ privateKey: signingKey } = await generateKeyPair('RS256').then(async (pair) => {
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'idp-1', alg: 'RS256', use: 'sig' };
    server = http.createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
    return pair;
  }));
  ({ privateKey: strangerKey } = await generateKeyPair('RS256'));
  const sessions = new SessionTokens({ jwksUrl, issuer: 'https://idp.example', audience: 'keygate', ttlSeconds: 3600 });
  auth = new Authenticator(t.dataSource, t.app.keyFormat, sessions, KEYGATE.access);
});
afterAll(async () => {
  server.close();
  await t.close();
});

function idpToken(claims: Record<string, unknown>, opts: { key?: KeyLike; iss?: string; aud?: string; kid?: string } = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? 'idp-1' })
    .setIssuer(opts.iss ?? 'https://idp.example')
    .setAudience(opts.aud ?? 'keygate')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(opts.key ?? signingKey);
}

async function reason(token: string): Promise<string> {
  try {
    await auth.authenticate({ authorization: `Bearer ${token}` });
    return 'accepted';
  } catch (e) {
    return e instanceof UnauthenticatedError ? e.reason : String(e);
  }
}

describe('session tokens from an identity provider (JWKS_URL)', () => {
  it('accepts an RS256 token with the right issuer and audience; the role comes from the membership table', async () => {
    const principal = await auth.authenticate({ authorization: `Bearer ${await idpToken({ sub: t.owner.userId, org: t.org.id })}` });
    expect(principal).toMatchObject({ kind: 'USER', userId: t.owner.userId, orgId: t.org.id, role: 'OWNER' });
  });

  it.each([
    ['wrong issuer', () => idpToken({ sub: 'u', org: 'o' }, { iss: 'https://evil.example' })],
    ['wrong audience', () => idpToken({ sub: 'u', org: 'o' }, { aud: 'someone-else' })],
    ['signed by a key not in the JWKS', () => idpToken({ sub: 'u', org: 'o' }, { key: strangerKey })],
    [
      'an HS256 token (no shared secret configured)',
      () =>
        new SignJWT({ sub: 'u', org: 'o' })
          .setProtectedHeader({ alg: 'HS256' })
          .setExpirationTime('5m')
          .sign(new TextEncoder().encode(TEST_SESSION_SECRET)),
    ],
  ])('refuses %s as INVALID_SESSION', async (_case, make) => {
    expect(await reason(await make())).toBe(AuthFailureReason.INVALID_SESSION);
  });

  it('refuses a valid IdP token for someone who is not a member', async () => {
    const other = await t.createOtherOrganization('Jwks');
    expect(await reason(await idpToken({ sub: other.owner.userId, org: t.org.id }))).toBe(AuthFailureReason.INVALID_SESSION);
  });
});
