import type { IncomingHttpHeaders } from 'node:http';
import type { DataSource } from 'typeorm';
import { AuthFailureReason, UnauthenticatedError } from '../errors';
import { isUuid } from '../db/pagination';
import { ApiKeyStatus, ApiKeyType } from '../modules/api-keys/api-key.entity';
import type { UsageRecorder } from '../modules/api-keys/usage-recorder';
import type { Plan } from '../modules/organizations/organization.entity';
import { readCredentials } from './credentials';
import { hashSecret, type KeyFormat } from './key-format';
import { maskFromJson, type PermissionsJson } from './permissions';
import type { ApiKeyPrincipal, Principal, UserPrincipal } from './principal';
import { ROLE_PERMISSIONS, type Role } from './roles';
import { SessionTokenError, type SessionTokens } from './session-tokens';

interface KeyRow {
  key_id: string;
  org_id: string;
  name: string;
  prefix: string;
  type: ApiKeyType;
  owner_user_id: string | null;
  permissions: PermissionsJson;
  status: ApiKeyStatus;
  expires_at: Date | null;
  deleted_at: Date | null;
  secret_ends_at: Date | null;
  plan: Plan;
  owner_role: Role | null;
}

/**
 * Everything authentication needs, in one indexed query: the secret by its hash, its key, the
 * organization's plan and, for USER keys, the owner's current role. No cache in front of it, so a
 * revocation, deactivation or rotation takes effect on the very next request.
 */
const KEY_LOOKUP = `
  SELECT k.id AS key_id, k.org_id, k.name, k.prefix, k.type, k.owner_user_id, k.permissions, k.status,
         k.expires_at, k.deleted_at, s.ends_at AS secret_ends_at, o.plan, m.role AS owner_role
    FROM api_key_secrets s
    JOIN api_keys k ON k.id = s.api_key_id
    JOIN organizations o ON o.id = k.org_id
    LEFT JOIN memberships m ON m.org_id = k.org_id AND m.user_id = k.owner_user_id
   WHERE s.secret_hash = $1`;

const SESSION_LOOKUP = `
  SELECT m.role, o.plan, u.email
    FROM memberships m
    JOIN organizations o ON o.id = m.org_id
    JOIN users u ON u.id = m.user_id
   WHERE m.org_id = $1 AND m.user_id = $2`;

export class Authenticator {
  constructor(
    private readonly dataSource: DataSource,
    private readonly keyFormat: KeyFormat,
    private readonly sessions: SessionTokens,
    private readonly usage: UsageRecorder,
  ) {}

  async authenticate(headers: IncomingHttpHeaders): Promise<Principal> {
    const credentials = readCredentials(headers, this.keyFormat);
    return credentials.kind === 'apiKey' ? this.authenticateKey(credentials.key) : this.authenticateSession(credentials.token);
  }

  async authenticateKey(key: string): Promise<ApiKeyPrincipal> {
    const rows: KeyRow[] = await this.dataSource.query(KEY_LOOKUP, [hashSecret(key)]);
    const row = rows[0];
    if (!row) throw new UnauthenticatedError(AuthFailureReason.UNKNOWN);
    const now = Date.now();
    if (row.type === ApiKeyType.USER && row.owner_role === null) throw new UnauthenticatedError(AuthFailureReason.OWNER_REMOVED);
    if (row.status === ApiKeyStatus.REVOKED || row.deleted_at !== null) throw new UnauthenticatedError(AuthFailureReason.REVOKED);
    // A secret that was rotated out (or whose grace period ended) is past its end: EXPIRED.
    if (row.secret_ends_at !== null && row.secret_ends_at.getTime() <= now) throw new UnauthenticatedError(AuthFailureReason.EXPIRED);
    if (row.expires_at !== null && row.expires_at.getTime() <= now) throw new UnauthenticatedError(AuthFailureReason.EXPIRED);
    if (row.status === ApiKeyStatus.INACTIVE) throw new UnauthenticatedError(AuthFailureReason.INACTIVE);

    const granted = maskFromJson(row.permissions);
    this.usage.record(row.key_id);
    return {
      kind: 'API_KEY',
      keyId: row.key_id,
      orgId: row.org_id,
      keyType: row.type,
      ownerUserId: row.owner_user_id,
      ownerRole: row.owner_role,
      // A user key can never do more than its owner may do right now.
      permissions: row.type === ApiKeyType.USER && row.owner_role ? granted & ROLE_PERMISSIONS[row.owner_role] : granted,
      plan: row.plan,
      displayName: `${row.name} (${row.prefix})`,
    };
  }

  async authenticateSession(token: string): Promise<UserPrincipal> {
    let claims;
    try {
      claims = await this.sessions.verify(token);
    } catch (e) {
      if (e instanceof SessionTokenError) throw new UnauthenticatedError(AuthFailureReason.INVALID_SESSION);
      throw e;
    }
    if (!isUuid(claims.userId) || !isUuid(claims.orgId)) throw new UnauthenticatedError(AuthFailureReason.INVALID_SESSION);
    const rows: { role: Role; plan: Plan; email: string }[] = await this.dataSource.query(SESSION_LOOKUP, [claims.orgId, claims.userId]);
    const row = rows[0];
    // Not (or no longer) a member: the token names a membership that does not exist.
    if (!row) throw new UnauthenticatedError(AuthFailureReason.INVALID_SESSION);
    return {
      kind: 'USER',
      userId: claims.userId,
      orgId: claims.orgId,
      role: row.role,
      permissions: ROLE_PERMISSIONS[row.role],
      plan: row.plan,
      email: row.email,
    };
  }
}

export type Authenticate = (headers: IncomingHttpHeaders) => Promise<Principal>;
