import type { EntityManager } from 'typeorm';
import { AuthFailureReason, ForbiddenError, UnauthenticatedError } from '../kernel/errors';
import type { Plan } from '../kernel/plans';
import { KEY_VERDICT_COLUMNS, keyVerdict, toVerified, userVerdict, type KeyRow } from './authenticator';
import type { PermissionMask } from '../kernel/permissions';
import type { AccessModel, Role } from '../kernel/access';
import type { Caller, Principal } from './principal';

/**
 * Authority that must still hold when a change commits.
 *
 * A request is authenticated once, at its start; a change it makes may commit seconds later (a
 * slow request, several mutations in one document). `confirmWithin` runs inside the change's own
 * transaction, before the change: it re-reads the principal and takes FOR KEY SHARE locks on
 * what a revocation, removal or demotion changes (the key row, the membership row). Every such
 * change locks the same row FOR UPDATE, so the two serialise: whichever commits first wins, and a
 * principal removed first sees its removal here. The principal it returns is the current one,
 * so the rules applied after it (what may be granted, who is an owner) use current authority.
 *
 * FOR KEY SHARE (not FOR SHARE) so that usage counters and other non-key updates of the same
 * rows never wait on a change in flight.
 */
const KEY_AUTHORITY = `
  SELECT ${KEY_VERDICT_COLUMNS},
         (SELECT ms.role FROM memberships ms WHERE ms.org_id = k.org_id AND ms.user_id = k.owner_user_id FOR KEY SHARE) AS owner_role
    FROM api_key_secrets s
    JOIN api_keys k ON k.id = s.api_key_id
    JOIN organizations o ON o.id = k.org_id
   WHERE s.id = $1 AND k.id = $2 AND k.org_id = $3
     FOR KEY SHARE OF k`;

const USER_AUTHORITY = `
  SELECT m.role, o.plan, u.email
    FROM memberships m
    JOIN organizations o ON o.id = m.org_id
    JOIN users u ON u.id = m.user_id
   WHERE m.org_id = $1 AND m.user_id = $2
     FOR KEY SHARE OF m`;

export class Authority {
  constructor(private readonly access: AccessModel) {}

  /**
   * Re-verifies `caller.principal` inside `m`'s transaction and returns the caller with its
   * current principal. Throws UNAUTHENTICATED (with the reason) when the principal no longer
   * exists as it was, FORBIDDEN when it no longer holds `needed` or what the operation was
   * admitted with.
   */
  async confirmWithin(m: EntityManager, caller: Caller, needed: PermissionMask): Promise<Caller> {
    const principal = await this.current(m, caller.principal);
    const required = needed | (caller.admitted ?? 0n);
    if ((principal.permissions & required) !== required) {
      const missing = this.access.missingScopes(principal.permissions, required);
      throw new ForbiddenError(
        { required: missing },
        `No longer permitted: ${missing.join(', ')} ${missing.length > 1 ? 'were' : 'was'} withdrawn while this request ran. Nothing was changed.`,
      );
    }
    return { ...caller, principal };
  }

  private async current(m: EntityManager, principal: Principal): Promise<Principal> {
    if (principal.kind === 'API_KEY') {
      const rows: KeyRow[] = await m.query(KEY_AUTHORITY, [principal.secretId, principal.keyId, principal.orgId]);
      // The secret row is never deleted while its key exists; a missing row means the key is gone.
      if (!rows[0]) throw new UnauthenticatedError(AuthFailureReason.REVOKED);
      return keyVerdict(toVerified(rows[0], this.access), Date.now(), this.access);
    }
    const rows: { role: Role; plan: Plan; email: string }[] = await m.query(USER_AUTHORITY, [principal.orgId, principal.userId]);
    return userVerdict(principal, rows[0], this.access);
  }
}
