import type { Configuration } from 'openid-client';
import type { SessionClaims } from '../auth/session-tokens';
import type { OidcConfig } from '../kernel/config/oidc';

type OpenIdClient = typeof import('openid-client');

/** What the browser keeps (HttpOnly, 10 minutes) between leaving for the provider and coming back. */
export interface OidcTransaction {
  verifier: string;
  state: string;
  nonce: string;
  returnTo: string;
}

/**
 * The console's sign-in through an OpenID Connect provider: authorization code with PKCE, state
 * and nonce, done by openid-client (the certified client for Node). openid-client is ESM-only,
 * so it is imported on first use; a server without OIDC_CLIENT_ID never loads it.
 */
export class OidcSignIn {
  private configuration?: Promise<{ lib: OpenIdClient; config: Configuration }>;

  constructor(
    private readonly oidc: OidcConfig & { issuer: string; client: NonNullable<OidcConfig['client']> },
    /** http:// issuers only outside production (a provider on loopback in development and tests). */
    private readonly allowHttp: boolean,
  ) {}

  /** What the sign-in page calls the provider: its host. */
  get label(): string {
    return new URL(this.oidc.issuer).host;
  }

  /** Where to send the browser, and what to remember until it returns. */
  async start(returnTo: string): Promise<{ url: string; transaction: OidcTransaction }> {
    const { lib, config } = await this.load();
    const verifier = lib.randomPKCECodeVerifier();
    const transaction = { verifier, state: lib.randomState(), nonce: lib.randomNonce(), returnTo };
    const url = lib.buildAuthorizationUrl(config, {
      redirect_uri: this.oidc.client.redirectUrl,
      scope: this.oidc.client.scopes,
      code_challenge: await lib.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: transaction.state,
      nonce: transaction.nonce,
    });
    return { url: url.href, transaction };
  }

  /**
   * Redeems the code the provider sent back (checking state, PKCE and the ID token's signature,
   * issuer, audience and nonce) and returns who signed in, as session claims.
   */
  async finish(query: string, transaction: OidcTransaction): Promise<Extract<SessionClaims, { kind: 'external' }>> {
    const { lib, config } = await this.load();
    const callback = new URL(this.oidc.client.redirectUrl);
    callback.search = query;
    const tokens = await lib.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: transaction.verifier,
      expectedState: transaction.state,
      expectedNonce: transaction.nonce,
      idTokenExpected: true,
    });
    const idToken = tokens.claims()!;
    const names = this.oidc.claims;
    // Conformant providers put profile and email claims in userinfo, not the ID token.
    const claims: Record<string, unknown> =
      idToken[names.email] === undefined ? { ...(await lib.fetchUserInfo(config, tokens.access_token, idToken.sub)), ...idToken } : idToken;
    const text = (name: string) => (typeof claims[name] === 'string' ? (claims[name] as string) : null);
    return {
      kind: 'external',
      issuer: idToken.iss,
      subject: idToken.sub,
      email: text(names.email)?.toLowerCase() ?? null,
      emailVerified: claims[names.emailVerified] === true,
      name: text(names.name),
      orgId: text(names.org),
    };
  }

  private load(): Promise<{ lib: OpenIdClient; config: Configuration }> {
    this.configuration ??= (async () => {
      const lib = await import('openid-client');
      const { id, secret } = this.oidc.client;
      const config = await lib.discovery(
        new URL(this.oidc.issuer),
        id,
        secret,
        secret ? undefined : lib.None(),
        // The ID token's signature is checked against the provider's keys too (openid-client
        // trusts the TLS channel to the token endpoint by default): outside production that
        // channel may be plain HTTP, and a checked signature costs one cached JWKS fetch.
        { execute: this.allowHttp ? [lib.allowInsecureRequests, lib.enableNonRepudiationChecks] : [lib.enableNonRepudiationChecks] },
      );
      return { lib, config };
    })().catch((error: unknown) => {
      // A provider that was down at the first sign-in is asked again at the next one.
      this.configuration = undefined;
      throw error;
    });
    return this.configuration;
  }
}
