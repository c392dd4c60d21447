import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { Config } from '../kernel/config';

/**
 * Session tokens are JWTs with `sub` = user id and `org` = organization id. keygate signs them
 * with HS256 (SESSION_SECRET) for its CLI and development; an identity provider can issue them
 * instead (JWKS_URL). The token never carries a role: the membership table decides that.
 */
export interface SessionClaims {
  userId: string;
  orgId: string;
}

export class SessionTokenError extends Error {}

export class SessionTokens {
  private readonly secret?: Uint8Array;
  private readonly jwks?: ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly options: { secret?: string; jwksUrl?: string; issuer?: string; audience?: string; ttlSeconds: number }) {
    if (options.secret) this.secret = new TextEncoder().encode(options.secret);
    if (options.jwksUrl) this.jwks = createRemoteJWKSet(new URL(options.jwksUrl), { timeoutDuration: 5_000 });
    if (!this.secret && !this.jwks) throw new Error('SessionTokens needs a secret or a JWKS URL');
  }

  get canSign(): boolean {
    return this.secret !== undefined;
  }

  async sign(claims: SessionClaims, ttlSeconds = this.options.ttlSeconds): Promise<string> {
    if (!this.secret) throw new Error('Session tokens are issued by the identity provider (JWKS_URL); keygate cannot sign them.');
    let jwt = new SignJWT({ org: claims.orgId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.userId)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`);
    if (this.options.issuer) jwt = jwt.setIssuer(this.options.issuer);
    if (this.options.audience) jwt = jwt.setAudience(this.options.audience);
    return jwt.sign(this.secret);
  }

  /** Throws SessionTokenError for anything but a valid, unexpired token with both claims. */
  async verify(token: string): Promise<SessionClaims> {
    let payload: JWTPayload;
    try {
      const { alg } = decodeProtectedHeader(token);
      const common = { issuer: this.options.issuer, audience: this.options.audience, requiredClaims: ['sub', 'exp'] };
      if (alg === 'HS256' && this.secret) {
        ({ payload } = await jwtVerify(token, this.secret, { ...common, algorithms: ['HS256'] }));
      } else if (this.jwks && alg && alg !== 'none' && !alg.startsWith('HS')) {
        ({ payload } = await jwtVerify(token, this.jwks, common));
      } else {
        throw new SessionTokenError(`unsupported alg ${String(alg)}`);
      }
    } catch (e) {
      throw e instanceof SessionTokenError ? e : new SessionTokenError((e as Error).message);
    }
    if (typeof payload.sub !== 'string' || typeof payload.org !== 'string') throw new SessionTokenError('missing sub or org');
    return { userId: payload.sub, orgId: payload.org };
  }
}

/**
 * The HS256 secret: SESSION_SECRET, or in development one generated on first start and kept in
 * the data directory so sessions survive restarts. Production refuses to start without one
 * (config.ts), so this never invents a production secret.
 */
export async function resolveSessionSecret(config: Config): Promise<string | undefined> {
  if (config.session.secret) return config.session.secret;
  if (config.session.jwksUrl || config.isProduction) return undefined;
  const file = path.join(config.dataDir, 'session-secret');
  if (existsSync(file)) return (await fs.readFile(file, 'utf8')).trim();
  await fs.mkdir(config.dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  await fs.writeFile(file, secret, { mode: 0o600, flag: 'wx' }).catch(async (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EEXIST') throw e;
  });
  return (await fs.readFile(file, 'utf8')).trim();
}

export async function createSessionTokens(config: Config): Promise<SessionTokens> {
  return new SessionTokens({
    secret: await resolveSessionSecret(config),
    jwksUrl: config.session.jwksUrl,
    issuer: config.session.issuer,
    audience: config.session.audience,
    ttlSeconds: config.session.ttlSeconds,
  });
}
