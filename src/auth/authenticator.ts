import type { IncomingHttpHeaders } from 'node:http';
import { AuthFailureReason, UnauthenticatedError } from '../kernel/errors';
import { ApiKeyStatus, ApiKeyType } from './api-key-states';
import type { AccessModel, Role } from '../kernel/access';
import type { Plan } from '../kernel/plans';
import { readCredentials, type Cookies, type Credentials } from './credentials';
import type { AuthDirectories, KeyRow } from './directories';
import { hashSecret, type KeyFormat } from './key-format';
import type { VerificationCache, VerifiedSecret } from './verification-cache';
import type { ApiKeyPrincipal, Principal, UserPrincipal } from './principal';
import { SessionTokenError, type SessionClaims, type SessionTokens } from './session-tokens';
import { UserPrincipals } from './user-principals';

export function toVerified(row: KeyRow, access: AccessModel): VerifiedSecret {
  return {
    secretId: row.secret_id,
    keyId: row.key_id,
    orgId: row.org_id,
    keyType: row.type,
    ownerUserId: row.owner_user_id,
    ownerRole: row.owner_role,
    granted: access.maskFromJson(row.permissions),
    status: row.status,
    deleted: row.deleted_at !== null,
    keyExpiresAt: row.expires_at?.getTime() ?? null,
    secretEndsAt: row.secret_ends_at?.getTime() ?? null,
    plan: row.plan,
    rateLimitPerMinute: row.rate_limit_per_minute,
    displayName: `${row.name} (${row.prefix})`,
  };
}

/**
 * The verdict on a key, decided afresh on every request (expiry is checked against the clock
 * `now`). Used at authentication and again inside every change's transaction (auth/authority.ts),
 * so both apply exactly the same rules.
 */
export function keyVerdict(v: VerifiedSecret, now: number, access: AccessModel): ApiKeyPrincipal {
  if (v.keyType === ApiKeyType.USER && v.ownerRole === null) throw new UnauthenticatedError(AuthFailureReason.OWNER_REMOVED);
  if (v.status === ApiKeyStatus.REVOKED || v.deleted) throw new UnauthenticatedError(AuthFailureReason.REVOKED);
  if (v.keyExpiresAt !== null && v.keyExpiresAt <= now) throw new UnauthenticatedError(AuthFailureReason.EXPIRED);
  // A secret that was rotated out (or whose grace period ended) on a key that lives on.
  if (v.secretEndsAt !== null && v.secretEndsAt <= now) throw new UnauthenticatedError(AuthFailureReason.ROTATED);
  if (v.status === ApiKeyStatus.INACTIVE) throw new UnauthenticatedError(AuthFailureReason.INACTIVE);
  return {
    kind: 'API_KEY',
    keyId: v.keyId,
    secretId: v.secretId,
    orgId: v.orgId,
    keyType: v.keyType,
    ownerUserId: v.ownerUserId,
    ownerRole: v.ownerRole,
    // A user key can never do more than its owner may do right now.
    permissions: v.keyType === ApiKeyType.USER && v.ownerRole ? v.granted & access.roles[v.ownerRole] : v.granted,
    plan: v.plan,
    rateLimitPerMinute: v.rateLimitPerMinute,
    displayName: v.displayName,
  };
}

export function userVerdict(
  claims: { userId: string; orgId: string },
  membership: { role: Role; plan: Plan; email: string } | undefined,
  access: AccessModel,
): UserPrincipal {
  // Not (or no longer) a member: the token names a membership that does not exist.
  if (!membership) throw new UnauthenticatedError(AuthFailureReason.INVALID_SESSION);
  return {
    kind: 'USER',
    userId: claims.userId,
    orgId: claims.orgId,
    role: membership.role,
    permissions: access.roles[membership.role],
    plan: membership.plan,
    email: membership.email,
  };
}

/**
 * Credentials → principal. What it reads of the features' tables it asks through their
 * directories (auth/directories.ts): everything a key's verdict needs in one indexed query,
 * cached per secret hash (see VerificationCache); every change that affects it invalidates that
 * entry on every instance before the change's response is sent.
 */
export class Authenticator {
  constructor(
    private readonly directories: AuthDirectories,
    private readonly keyFormat: KeyFormat,
    private readonly sessions: SessionTokens,
    private readonly access: AccessModel,
    private readonly cache: VerificationCache | null = null,
  ) {
    this.users = new UserPrincipals(directories.people, access);
  }

  /** Sessions → principals; also the console's OIDC callback's way from an identity to a user. */
  readonly users: UserPrincipals;

  /** Credentials from the headers (and the console's cookies); MISSING, MALFORMED or CSRF before any hashing or SQL. */
  credentials(headers: IncomingHttpHeaders, cookies?: Cookies): Credentials {
    return readCredentials(headers, this.keyFormat, cookies);
  }

  async authenticate(headers: IncomingHttpHeaders, cookies?: Cookies): Promise<Principal> {
    return this.authenticateCredentials(this.credentials(headers, cookies));
  }

  authenticateCredentials(credentials: Credentials): Promise<Principal> {
    switch (credentials.kind) {
      case 'apiKey':
        return this.authenticateKey(credentials.key);
      case 'session':
        return this.authenticateSession(credentials.token, credentials.org);
      case 'browser':
        return this.users.forPerson({ kind: 'browser', tokenHash: hashSecret(credentials.token) }, credentials.org);
    }
  }

  /**
   * True when these credentials can be verified without touching the database: a key whose
   * verdict is already in the verification cache, or a session token whose signature verifies.
   * An IP that is throttled for failed attempts may still use these (guessing is what the
   * throttle stops, and neither can be guessed).
   */
  async verifiesWithoutDatabase(credentials: Credentials): Promise<boolean> {
    if (credentials.kind === 'apiKey') {
      const cached = this.cache?.get(hashSecret(credentials.key));
      return cached !== undefined && cached !== 'unknown';
    }
    if (credentials.kind === 'browser') return false;
    return (await this.verifySession(credentials.token).catch(() => null)) !== null;
  }

  async authenticateKey(key: string): Promise<ApiKeyPrincipal> {
    const hash = hashSecret(key);
    let verified = this.cache?.get(hash);
    if (verified === undefined) {
      const epoch = this.cache?.epoch ?? 0;
      const row = await this.directories.keys.bySecretHash(hash);
      verified = row ? toVerified(row, this.access) : 'unknown';
      this.cache?.set(hash, verified, epoch);
    }
    if (verified === 'unknown') throw new UnauthenticatedError(AuthFailureReason.UNKNOWN);
    return keyVerdict(verified, Date.now(), this.access);
  }

  /** A bearer session token: keygate's own, or an identity provider's (see user-principals.ts). */
  async authenticateSession(token: string, requestedOrg: string | null = null): Promise<UserPrincipal> {
    return this.users.forClaims(await this.verifySession(token), requestedOrg);
  }

  private async verifySession(token: string): Promise<SessionClaims> {
    try {
      return await this.sessions.verify(token);
    } catch (e) {
      if (e instanceof SessionTokenError) throw new UnauthenticatedError(AuthFailureReason.INVALID_SESSION, e.message);
      throw e;
    }
  }
}

export type Authenticate = (headers: IncomingHttpHeaders, cookies?: Cookies) => Promise<Principal>;
