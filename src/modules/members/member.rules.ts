import { defineOperations } from '../../core/module';
import { actingUserId, type Principal } from '../../auth/principal';
import { Role, type AccessModel } from '../../kernel/access';
import { firstRefusal, needsScope, type BoundRules, type Refusal } from '../../kernel/capabilities';
import { ConflictError, ForbiddenError, ForbiddenRule } from '../../kernel/errors';

export type MemberAction = 'updateRole' | 'remove';

/** Owner status is a role, which no key holds on its own: a session of an owner, or an owner's USER key. */
export function ownerRefusal(principal: Principal, message: string): Refusal {
  const role = principal.kind === 'USER' ? principal.role : principal.ownerRole;
  return role === Role.OWNER && actingUserId(principal) !== null ? null : new ForbiddenError({ rule: ForbiddenRule.OWNER_ONLY }, message);
}

/** An organization always keeps an owner. */
export function lastOwnerRefusal(owners: number, verb: string): Refusal {
  return owners <= 1 ? new ConflictError(`Cannot ${verb} the last owner of the organization; make someone else an owner first.`) : null;
}

/** Nobody grants a role that holds more than they hold; only an owner makes an owner. */
export function assignRefusal(access: AccessModel, principal: Principal, role: Role): Refusal {
  const missing = access.missingScopes(principal.permissions, access.roles[role]);
  if (missing.length > 0) {
    return new ForbiddenError(
      { required: missing, rule: ForbiddenRule.NO_ESCALATION },
      `You cannot assign the ${role} role: it holds ${missing.join(', ')}, which you do not.`,
    );
  }
  return role === Role.OWNER ? ownerRefusal(principal, 'Only an owner can make someone an owner.') : null;
}

/**
 * The membership rules for one caller and one member (`owners`: how many owners the organization
 * has). `updateRole` is possible when some other role may be given; the mutation then applies
 * the same checks to the role it is asked for.
 */
export function memberRules(principal: Principal, access: AccessModel, member: { role: Role }, owners: number): BoundRules<MemberAction> {
  const ownerTarget = (message: string, verb: string) => () =>
    member.role === Role.OWNER
      ? firstRefusal(
          () => ownerRefusal(principal, message),
          () => lastOwnerRefusal(owners, verb),
        )
      : null;
  const someRoleAssignable = () => {
    const refusals = Object.values(Role)
      .filter((r) => r !== member.role)
      .map((r) => assignRefusal(access, principal, r));
    return refusals.includes(null) ? null : refusals[refusals.length - 1];
  };
  return {
    updateRole: () =>
      firstRefusal(
        needsScope(access, principal.permissions, MEMBER_OPERATIONS.updateMemberRole),
        ownerTarget('Only an owner can change an owner\u2019s role.', 'demote'),
        someRoleAssignable,
      ),
    remove: () =>
      firstRefusal(
        needsScope(access, principal.permissions, MEMBER_OPERATIONS.removeMember),
        ownerTarget('Only an owner can remove an owner.', 'remove'),
      ),
  };
}

/**
 * The scope each mutation of this feature needs, declared once: the resolver's `@Requires`, the
 * service's `changes.run` (checked again at commit) and the manifest take it from here, and the
 * schema refuses to build when a mutation's `@requires` differs.
 */
export const MEMBER_OPERATIONS = defineOperations({
  addMember: 'members:create',
  updateMemberRole: 'members:update',
  removeMember: 'members:delete',
});
