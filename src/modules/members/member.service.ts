import type { DataSource, EntityManager } from 'typeorm';
import type { Caller } from '../../auth/principal';
import { Role, type AccessModel } from '../../kernel/access';
import { enforce } from '../../kernel/capabilities';
import { BadUserInputError, ConflictError, NotFoundError } from '../../kernel/errors';
import { isUuid } from '../../kernel/ids';
import type { Change, Changes } from '../../core/changes';
import { MEMBER_AUDIT } from './member.audit';
import { assignRefusal, memberRules, MEMBER_OPERATIONS } from './member.rules';
import { Membership } from './membership.entity';
import { User } from './user.entity';

// Deliberately simple: the address is an identifier here, not a mailbox we verify.
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]+$|^[^\s@]{1,64}@localhost$/;

/**
 * What removing a member needs of the API keys: their USER keys in this organization deleted in
 * the same change. The api-keys feature provides it (its `apiKeys` service); members names the
 * need, not the feature, so the two do not import each other.
 */
export interface UserKeyRemover {
  deleteUserKeysWithin(tx: Change, userId: string): Promise<string[]>;
}

export interface RemovedMemberResult {
  userId: string;
  deletedApiKeyIds: string[];
}

/**
 * Membership rules: nobody grants a role holding more than they hold, only an owner makes or
 * unmakes owners, and an organization always keeps at least one owner.
 */
export class MemberService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly userKeys: UserKeyRemover,
    private readonly access: AccessModel,
    private readonly changes: Changes,
  ) {}

  async list(caller: Caller): Promise<Membership[]> {
    return (caller.db ?? this.dataSource)
      .getRepository(Membership)
      .createQueryBuilder('ms')
      .innerJoinAndSelect('ms.user', 'u')
      .where('ms.orgId = :orgId', { orgId: caller.principal.orgId })
      .orderBy('ms.joinedAt', 'ASC')
      .addOrderBy('u.email', 'ASC')
      .getMany();
  }

  /** Every organization a person belongs to, oldest membership first (the console's switcher). */
  async membershipsOf(caller: Caller, userId: string): Promise<Membership[]> {
    return (caller.db ?? this.dataSource)
      .getRepository(Membership)
      .createQueryBuilder('ms')
      .innerJoinAndSelect('ms.organization', 'o')
      .where('ms.userId = :userId', { userId })
      .orderBy('ms.joinedAt', 'ASC')
      .addOrderBy('ms.orgId', 'ASC')
      .getMany();
  }

  async add(caller: Caller, rawEmail: string, role: Role): Promise<Membership> {
    const email = normalizeEmail(rawEmail);
    return this.changes.run(caller, MEMBER_OPERATIONS.addMember, async (tx) => {
      const { m } = tx;
      const orgId = tx.caller.principal.orgId;
      enforce(assignRefusal(this.access, tx.caller.principal, role));
      const user = await upsertUser(m, email);
      const exists = await m.getRepository(Membership).existsBy({ orgId, userId: user.id });
      if (exists) throw new ConflictError(`${email} is already a member of this organization.`);
      await m.insert(Membership, { orgId, userId: user.id, role });
      await tx.audit(MEMBER_AUDIT, 'MEMBER_ADDED', { targetId: user.id, targetName: email, metadata: { role } });
      return m.getRepository(Membership).findOneOrFail({ where: { orgId, userId: user.id }, relations: { user: true } });
    });
  }

  async updateRole(caller: Caller, userId: string, role: Role): Promise<Membership> {
    return this.changes.run(caller, MEMBER_OPERATIONS.updateMemberRole, async (tx) => {
      const { membership, owners } = await this.lockMembership(tx, userId);
      const principal = tx.caller.principal;
      enforce(assignRefusal(this.access, principal, role));
      if (membership.role === role) return membership;
      enforce(memberRules(principal, this.access, membership, owners).updateRole());
      const from = membership.role;
      membership.role = role;
      await tx.m.update(Membership, { orgId: membership.orgId, userId: membership.userId }, { role });
      // The member's USER keys are effective as grant ∩ role: cached verdicts must go.
      await tx.invalidate({ kind: 'member', orgId: membership.orgId, userId: membership.userId });
      await tx.audit(MEMBER_AUDIT, 'MEMBER_ROLE_CHANGED', {
        targetId: membership.userId,
        targetName: membership.user.email,
        metadata: { from, to: role },
      });
      return membership;
    });
  }

  async remove(caller: Caller, userId: string): Promise<RemovedMemberResult> {
    return this.changes.run(caller, MEMBER_OPERATIONS.removeMember, async (tx) => {
      const { membership, owners } = await this.lockMembership(tx, userId);
      enforce(memberRules(tx.caller.principal, this.access, membership, owners).remove());
      // A user key acts as its owner, so it cannot outlive the owner's membership.
      const deletedApiKeyIds = await this.userKeys.deleteUserKeysWithin(tx, membership.userId);
      await tx.m.delete(Membership, { orgId: membership.orgId, userId: membership.userId });
      await tx.invalidate({ kind: 'member', orgId: membership.orgId, userId: membership.userId });
      await tx.audit(MEMBER_AUDIT, 'MEMBER_REMOVED', {
        targetId: membership.userId,
        targetName: membership.user.email,
        metadata: { role: membership.role, deletedApiKeyIds },
      });
      return { userId: membership.userId, deletedApiKeyIds };
    });
  }

  /**
   * Locks the organization's owner rows, then the target's, always in that order: two owners
   * acting on each other at once must queue (one then sees the other's result), not deadlock.
   * The owner rows take FOR NO KEY UPDATE, which queues owner changes against each other but not
   * against the FOR KEY SHARE that every change holds on its own principal's membership
   * (auth/authority.ts); the target takes FOR UPDATE, so a removal or demotion waits for the
   * target's own changes in flight, and they, once it commits, see it.
   */
  private async lockMembership(tx: Change, userId: string): Promise<{ membership: Membership; owners: number }> {
    const { m } = tx;
    const orgId = tx.caller.principal.orgId;
    if (!isUuid(userId)) throw new NotFoundError('Member');
    const owners = await m
      .getRepository(Membership)
      .createQueryBuilder('ms')
      .setLock('for_no_key_update')
      .where('ms.orgId = :orgId AND ms.role = :owner', { orgId, owner: Role.OWNER })
      .orderBy('ms.userId')
      .getMany();
    const membership = await m
      .getRepository(Membership)
      .createQueryBuilder('ms')
      .setLock('pessimistic_write', undefined, ['ms'])
      .innerJoinAndSelect('ms.user', 'u')
      .where('ms.orgId = :orgId AND ms.userId = :userId', { orgId, userId })
      .getOne();
    if (!membership) throw new NotFoundError('Member');
    return { membership, owners: owners.length };
  }
}

export function normalizeEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email)) throw new BadUserInputError({ email: 'Enter a valid email address.' });
  return email;
}

/** Creates the user on first sight; one user can belong to many organizations. */
export async function upsertUser(m: EntityManager, email: string): Promise<User> {
  await m.createQueryBuilder().insert().into(User).values({ email }).orIgnore().execute();
  return m.getRepository(User).findOneByOrFail({ email });
}
