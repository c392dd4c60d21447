import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { evaluateCapabilities } from '../../kernel/capabilities';
import { Role } from '../../kernel/access';
import type { ModuleContext } from '../context';
import type { MemberLoaders } from './member.loaders';
import type { MemberService } from './member.service';
import { Requires } from '../../graphql/requires.directive';
import { Membership } from './membership.entity';
import { memberRules, MEMBER_OPERATIONS } from './member.rules';
import { MemberViewerCan, RemovedMember } from './member.types';

type Context = ModuleContext<{ members: MemberService }, MemberLoaders>;

@Resolver(() => Membership)
export class MemberResolver {
  @Query(() => [Membership])
  @Requires('members', 'read')
  members(@Ctx() ctx: Context) {
    return ctx.services.members.list(ctx.caller);
  }

  @Mutation(() => Membership, { description: 'Adds a user (created on first sight) with a role you may grant.' })
  @Requires(MEMBER_OPERATIONS.addMember)
  addMember(@Arg('email') email: string, @Arg('role', () => Role) role: Role, @Ctx() ctx: Context) {
    return ctx.services.members.add(ctx.caller, email, role);
  }

  @Mutation(() => Membership, { description: 'Takes effect at once, including on that user’s USER key.' })
  @Requires(MEMBER_OPERATIONS.updateMemberRole)
  updateMemberRole(@Arg('userId', () => ID) userId: string, @Arg('role', () => Role) role: Role, @Ctx() ctx: Context) {
    return ctx.services.members.updateRole(ctx.caller, userId, role);
  }

  @Mutation(() => RemovedMember, { description: 'Removes the membership and deletes that user’s USER keys in this organization.' })
  @Requires(MEMBER_OPERATIONS.removeMember)
  removeMember(@Arg('userId', () => ID) userId: string, @Ctx() ctx: Context) {
    return ctx.services.members.remove(ctx.caller, userId);
  }

  @FieldResolver(() => Boolean, { description: 'Invited and not yet signed in: `firstSignedInAt` is null.' })
  pending(@Root() member: Membership): boolean {
    return member.firstSignedInAt === null;
  }

  @FieldResolver(() => MemberViewerCan, { description: 'What you may do to this membership now, and why not where you may not.' })
  async viewerCan(@Root() member: Membership, @Ctx() ctx: Context) {
    return evaluateCapabilities(memberRules(ctx.principal, ctx.access, member, await ctx.loaders.ownerCount()));
  }
}
