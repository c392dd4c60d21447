import type { EntityManager } from 'typeorm';
import { AuthFailureReason, ForbiddenError, UnauthenticatedError } from '../kernel/errors';
import { keyVerdict, toVerified, userVerdict } from './authenticator';
import type { AuthDirectories } from './directories';
import type { PermissionMask } from '../kernel/permissions';
import type { AccessModel } from '../kernel/access';
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
 * rows never wait on a change in flight. The reads are the features' (auth/directories.ts);
 * they are found when first needed, once every feature is built.
 */
export class Authority {
  constructor(
    private readonly access: AccessModel,
    private readonly directories: () => AuthDirectories,
  ) {}

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
      const row = await this.directories().keys.lockedWithin(m, principal.secretId, principal.keyId, principal.orgId);
      // The secret row is never deleted while its key exists; a missing row means the key is gone.
      if (!row) throw new UnauthenticatedError(AuthFailureReason.REVOKED);
      return keyVerdict(toVerified(row, this.access), Date.now(), this.access);
    }
    const membership = await this.directories().people.membershipWithin(m, principal.orgId, principal.userId);
    return userVerdict(principal, membership ?? undefined, this.access);
  }
}
