import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { Config } from '../kernel/config';

/**
 * Session tokens are JWTs. Two kinds exist:
 *
 * - keygate's own (HS256 with SESSION_SECRET, minted by the CLI): `sub` is a keygate user id and
 *   `org` may name the organization;
 * - an identity provider's (OIDC_ISSUER, or JWKS_URL + JWT_ISSUER): `sub` is the provider's own
 *   subject, mapped to a keygate user by (issuer, subject) — see auth/identities.ts — and the
 *   organization comes from a configurable claim or the request.
 *
 * Neither carries a role: the membership table decides that, on every request.
 */
export type SessionClaims =
  | { kind: 'keygate'; userId: string; orgId: string | null }
  | {
      kind: 'external';
      issuer: string;
      subject: string;
      email: string | null;
      emailVerified: boolean;
      name: string | null;
      orgId: string | null;
    };

/** Why a token was refused; the public answer is always INVALID_SESSION, the cause is logged. */
export class SessionTokenError extends Error {}

/** Which claims of a provider's token hold what keygate needs. */
export interface ClaimNames {
  email: string;
  emailVerified: string;
  name: string;
  org: string;
}

export interface SessionTokenOptions {
  secret?: string;
  /** Secrets tokens may still be signed with during a rotation: verified, never used to sign. */
  previousSecrets?: readonly string[];
  /** An identity provider: its issuer (tokens must say it) and where its signing keys are. */
  provider?: { issuer: string; jwksUrl?: string; audience?: string; claims: ClaimNames; allowHttp?: boolean };
  ttlSeconds: number;
}

const DISCOVERY_TIMEOUT_MS = 5_000;

export class SessionTokens {
  private readonly secret?: Uint8Array;
  private readonly previous: Uint8Array[];
  private jwks?: Promise<ReturnType<typeof createRemoteJWKSet>>;

  constructor(private readonly options: SessionTokenOptions) {
    if (options.secret) this.secret = new TextEncoder().encode(options.secret);
    this.previous = this.secret ? (options.previousSecrets ?? []).map((s) => new TextEncoder().encode(s)) : [];
    if (!this.secret && !options.provider) throw new Error('SessionTokens needs a secret or an identity provider');
  }

  get canSign(): boolean {
    return this.secret !== undefined;
  }

  /** A keygate session token for a member (the CLI's `session` command). */
  async sign(claims: { userId: string; orgId: string | null }, ttlSeconds = this.options.ttlSeconds): Promise<string> {
    if (!this.secret) throw new Error('Session tokens are issued by the identity provider; keygate cannot sign them.');
    return new SignJWT(claims.orgId ? { org: claims.orgId } : {})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.userId)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(this.secret);
  }

  /** Throws SessionTokenError (with the cause) for anything but a valid, unexpired token. */
  async verify(token: string): Promise<SessionClaims> {
    let alg: string | undefined;
    try {
      ({ alg } = decodeProtectedHeader(token));
    } catch {
      throw new SessionTokenError('not a JWT');
    }
    if (alg === 'HS256' && this.secret) return this.verifyOwn(token);
    const { provider } = this.options;
    if (provider && alg && alg !== 'none' && !alg.startsWith('HS')) return this.verifyExternal(token, provider);
    throw new SessionTokenError(`unsupported alg ${String(alg)}`);
  }

  private async verifyOwn(token: string): Promise<SessionClaims> {
    let payload: JWTPayload | undefined;
    let failure: Error | undefined;
    // The current secret, then the previous ones; only a wrong signature moves on to the next.
    for (const secret of [this.secret!, ...this.previous]) {
      try {
        ({ payload } = await jwtVerify(token, secret, { algorithms: ['HS256'], requiredClaims: ['sub', 'exp'] }));
        break;
      } catch (e) {
        const signature = (e as { code?: string }).code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED';
        failure = signature ? (failure ?? (e as Error)) : (e as Error);
        if (!signature) break;
      }
    }
    if (!payload) throw new SessionTokenError(`keygate token: ${failure!.message}`);
    return { kind: 'keygate', userId: payload.sub!, orgId: typeof payload.org === 'string' ? payload.org : null };
  }

  private async verifyExternal(token: string, provider: NonNullable<SessionTokenOptions['provider']>): Promise<SessionClaims> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await this.providerKeys(provider), {
        issuer: provider.issuer,
        audience: provider.audience,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (e) {
      throw new SessionTokenError(`provider token: ${(e as Error).message}`);
    }
    const { claims } = provider;
    const text = (name: string) => (typeof payload[name] === 'string' ? (payload[name] as string) : null);
    return {
      kind: 'external',
      issuer: provider.issuer,
      subject: payload.sub!,
      email: text(claims.email)?.toLowerCase() ?? null,
      emailVerified: payload[claims.emailVerified] === true,
      name: text(claims.name),
      orgId: text(claims.org),
    };
  }

  /** The provider's signing keys: JWKS_URL, or `jwks_uri` from its discovery document, fetched once. */
  private providerKeys(provider: NonNullable<SessionTokenOptions['provider']>) {
    this.jwks ??= (async () => {
      const jwksUrl = provider.jwksUrl ?? (await discover(provider.issuer, provider.allowHttp ?? false)).jwks_uri;
      return createRemoteJWKSet(new URL(jwksUrl), { timeoutDuration: DISCOVERY_TIMEOUT_MS });
    })().catch((error) => {
      this.jwks = undefined;
      throw error;
    });
    return this.jwks;
  }
}

/** The provider's OpenID discovery document (`/.well-known/openid-configuration`). */
export async function discover(issuer: string, allowHttp: boolean): Promise<{ jwks_uri: string; issuer: string }> {
  const url = new URL(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  if (url.protocol !== 'https:' && !allowHttp) throw new SessionTokenError(`the identity provider ${issuer} must use https`);
  const res = await fetch(url, { signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS) });
  if (!res.ok) throw new SessionTokenError(`discovery at ${url} answered ${res.status}`);
  const document = (await res.json()) as { jwks_uri?: string; issuer?: string };
  if (!document.jwks_uri || document.issuer !== issuer) throw new SessionTokenError(`discovery at ${url} is not for issuer ${issuer}`);
  return { jwks_uri: document.jwks_uri, issuer: document.issuer };
}

/**
 * The HS256 secret: SESSION_SECRET, or in development one generated on first start and kept in
 * the data directory so sessions survive restarts. Production refuses to start without one
 * or an identity provider (config.ts), so this never invents a production secret.
 */
export async function resolveSessionSecret(config: Config): Promise<string | undefined> {
  if (config.session.secret) return config.session.secret;
  // With an identity provider, sessions come from it alone: keygate invents no signing secret.
  if (config.isProduction || config.oidc.issuer) return undefined;
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
  const { oidc } = config;
  return new SessionTokens({
    secret: await resolveSessionSecret(config),
    previousSecrets: config.session.previousSecrets,
    provider: oidc.issuer
      ? { issuer: oidc.issuer, jwksUrl: oidc.jwksUrl, audience: oidc.audience, claims: oidc.claims, allowHttp: !config.isProduction }
      : undefined,
    ttlSeconds: config.session.ttlSeconds,
  });
}
