import type { DataSource } from 'typeorm';
import type { Role } from '../kernel/access';
import type { PermissionMask } from '../kernel/permissions';
import type { Plan } from '../kernel/plans';
import type { ApiKeyType } from './api-key-states';

export type PrincipalKind = 'USER' | 'API_KEY';

/** A request made with an API key. `permissions` is already effective (grant ∩ owner's role). */
export interface ApiKeyPrincipal {
  kind: 'API_KEY';
  keyId: string;
  /** The secret this request presented (its row id): rotating it out ends this principal. */
  secretId: string;
  orgId: string;
  keyType: ApiKeyType;
  ownerUserId: string | null;
  /** The owner's current role, for USER keys. */
  ownerRole: Role | null;
  permissions: PermissionMask;
  plan: Plan;
  /** The key's own limit when below the plan's. */
  rateLimitPerMinute: number | null;
  /** `name (sk_live_a1b2)`, copied into audit events as the actor's name. */
  displayName: string;
}

/** A signed-in user (session token). */
export interface UserPrincipal {
  kind: 'USER';
  userId: string;
  orgId: string;
  role: Role;
  permissions: PermissionMask;
  plan: Plan;
  email: string;
}

export type Principal = ApiKeyPrincipal | UserPrincipal;

/** Who is acting and from where: what services need to decide and to audit. */
export interface Caller {
  principal: Principal;
  ip: string | null;
  userAgent: string | null;
  /**
   * The scopes the whole operation was admitted with (set by the up-front decision). A change
   * commits only if its principal still holds them, checked inside the change's transaction.
   */
  admitted?: PermissionMask;
  /**
   * The database this caller's work runs on within a GraphQL request: the app's data source seen
   * through the request's budget (db/request-budget.ts). Unset outside a request (jobs, the CLI,
   * tests calling services directly), where services use their own data source.
   */
  db?: DataSource;
}

export function actorOf(principal: Principal): { kind: PrincipalKind; id: string; name: string } {
  return principal.kind === 'API_KEY'
    ? { kind: 'API_KEY', id: principal.keyId, name: principal.displayName }
    : { kind: 'USER', id: principal.userId, name: principal.email };
}

/** The user a principal acts for: the signed-in user, or the owner of a USER key. */
export function actingUserId(principal: Principal): string | null {
  return principal.kind === 'USER' ? principal.userId : principal.ownerUserId;
}
