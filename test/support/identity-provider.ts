import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';

/**
 * An OpenID provider's token side on loopback: a real discovery document and JWKS, real RS256
 * signatures. Enough for bearer tokens; the console's code flow uses a full provider
 * (oidc-provider) in a child process instead.
 */
export class LoopbackIdentityProvider {
  private constructor(
    private readonly server: http.Server,
    readonly issuer: string,
    private readonly signingKey: KeyLike,
  ) {}

  /** Requests the provider answered, by path (discovery and JWKS are fetched once and cached by keygate). */
  readonly hits: string[] = [];

  /** The ID token the token endpoint hands out next (for the code flow's last step). */
  nextIdToken = '';

  static async start(): Promise<LoopbackIdentityProvider> {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'RS256', use: 'sig' };
    let issuer = '';
    let self: LoopbackIdentityProvider | undefined;
    const server = http.createServer((req, res) => {
      self?.hits.push(req.url ?? '');
      const json = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.url === '/.well-known/openid-configuration') {
        return json({
          issuer,
          jwks_uri: `${issuer}/jwks`,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          response_types_supported: ['code'],
          id_token_signing_alg_values_supported: ['RS256'],
        });
      }
      if (req.url === '/jwks') return json({ keys: [jwk] });
      if (req.url === '/token' && req.method === 'POST') {
        req.resume();
        return void req.on('end', () => json({ access_token: 'at', token_type: 'Bearer', id_token: self?.nextIdToken }));
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    self = new LoopbackIdentityProvider(server, issuer, privateKey);
    return self;
  }

  /** A token as the provider would issue it, for `aud` keygate unless told otherwise. */
  token(
    claims: Record<string, unknown>,
    options: { key?: KeyLike; issuer?: string; audience?: string; kid?: string } = {},
  ): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? 'idp-1' })
      .setIssuer(options.issuer ?? this.issuer)
      .setAudience(options.audience ?? 'keygate')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(options.key ?? this.signingKey);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
