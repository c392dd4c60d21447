import type { EntityManager } from 'typeorm';
import type { ApiKeyType } from './api-key-states';
import type { Role } from '../kernel/access';
import type { Plan } from '../kernel/plans';
import type { PermissionsJson } from '../kernel/permissions';

/** What a key verdict needs: the secret, its key, the organization's plan, and for a USER key its owner's role. */
export interface KeyRow {
  secret_id: string;
  key_id: string;
  org_id: string;
  name: string;
  prefix: string;
  type: ApiKeyType;
  owner_user_id: string | null;
  permissions: PermissionsJson;
  /** As stored: EXPIRED is derived from `expires_at`, never stored. */
  status: 'ACTIVE' | 'INACTIVE' | 'REVOKED';
  expires_at: Date | null;
  deleted_at: Date | null;
  secret_ends_at: Date | null;
  rate_limit_per_minute: number | null;
  plan: Plan;
  owner_role: Role | null;
}

/**
 * What authentication reads of the keys' tables. The auth layer asks the questions; the api-keys
 * feature owns the SQL that answers them (its tables, joined to the organization's plan and the
 * owner's membership in one statement).
 */
export interface KeyDirectory {
  /** The secret whose SHA-256 is `hash`, with everything its verdict needs; null when unknown. */
  bySecretHash(hash: string): Promise<KeyRow | null>;
  /**
   * The same for a principal already authenticated, re-read inside a change's transaction and
   * locked (FOR KEY SHARE) against revocation and the owner's removal or demotion; null when gone.
   */
  lockedWithin(m: EntityManager, secretId: string, keyId: string, orgId: string): Promise<KeyRow | null>;
}

/** How a request names its person: a keygate user id, a provider identity, or a console session. */
export type PersonRef =
  { kind: 'user'; userId: string } | { kind: 'identity'; issuer: string; subject: string } | { kind: 'browser'; tokenHash: string };

/** The person and the membership a request acts through; no `org_id`: not a member there. */
export interface PersonRow {
  user_id: string;
  email: string;
  org_id: string | null;
  role: Role | null;
  plan: Plan | null;
}

/**
 * What authentication reads of the people's tables (users, memberships, provider identities,
 * console sessions). The sessions feature owns the SQL.
 */
export interface PersonDirectory {
  /** The person `ref` names and their membership of `org` (or their oldest one); null: no such person. */
  principalOf(ref: PersonRef, org: string | null): Promise<PersonRow | null>;
  /** A user's membership of an organization, inside a change's transaction, locked (FOR KEY SHARE) against removal or demotion. */
  membershipWithin(m: EntityManager, orgId: string, userId: string): Promise<{ role: Role; plan: Plan; email: string } | null>;
  /** The keygate user a provider identity is linked to, if it is. */
  linkedUser(issuer: string, subject: string): Promise<string | null>;
  /**
   * Links a provider identity seen for the first time to the invited user with that (verified)
   * email, never to a user already linked at that issuer; null when there is none such. Records
   * the provider's name for the user if it has none.
   */
  link(identity: { issuer: string; subject: string; email: string; name: string | null }): Promise<string | null>;
}

/** Both, as the features provide them. */
export interface AuthDirectories {
  keys: KeyDirectory;
  people: PersonDirectory;
}
