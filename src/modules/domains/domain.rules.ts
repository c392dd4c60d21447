import { defineOperations } from '../../core/module';
import type { Principal } from '../../auth/principal';
import type { AccessModel } from '../../kernel/access';
import { firstRefusal, needsScope, type BoundRules } from '../../kernel/capabilities';
import { ForbiddenError } from '../../kernel/errors';

export type DomainAction = 'verify' | 'delete';

/**
 * A domain's rules for one caller. Deleting a domain that still has links deletes the links too
 * (`force: true`), which is deleting links: it takes the scope that does.
 */
export function domainRules(principal: Principal, access: AccessModel, linkCount: number): BoundRules<DomainAction> {
  const held = principal.permissions;
  return {
    verify: needsScope(access, held, DOMAIN_OPERATIONS.verifyDomain),
    delete: () =>
      firstRefusal(needsScope(access, held, DOMAIN_OPERATIONS.deleteDomain), () =>
        linkCount > 0 && !access.holds(held, access.maskFromScopes(['shortLinks:delete']))
          ? new ForbiddenError(
              { required: ['shortLinks:delete'] },
              `Deleting it deletes its ${linkCount} short link(s) too (force: true), which needs shortLinks:delete.`,
            )
          : null,
      ),
  };
}

/**
 * The scope each mutation of this feature needs, declared once: the resolver's `@Requires`, the
 * service's `changes.run` (checked again at commit) and the manifest take it from here, and the
 * schema refuses to build when a mutation's `@requires` differs.
 */
export const DOMAIN_OPERATIONS = defineOperations({
  createDomain: 'domains:create',
  verifyDomain: 'domains:update',
  deleteDomain: 'domains:delete',
});
