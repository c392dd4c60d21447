import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { ModuleContext } from '../context';
import type { MemberLoaders } from '../members/member.loaders';
import type { ApiKeyLoaders } from './api-key.loaders';
import type { ApiKeyService } from './api-key.service';
import type { ApiKeyQueries } from './api-key.queries';
import { Requires } from '../../graphql/requires.directive';
import { Cost, pageCost } from '../../graphql/cost';
import { Actor } from '../../graphql/types/actor.type';
import { toConnection } from '../../graphql/types/connection';
import { selectedNodeFields } from '../../graphql/selection';
import { PermissionSet } from '../../graphql/types/access.types';
import { BadUserInputError } from '../../kernel/errors';
import { User } from '../members/user.entity';
import { ApiKeyStatus, ApiKeyType } from '../../auth/api-key-states';
import { ApiKey } from './api-key.entity';
import { ApiKeyFilter, ApiKeyOrder, CreateApiKeyInput, UpdateApiKeyInput } from './api-key.input';
import { ApiKeyConnection, ApiKeyToggle, ApiKeyViewerCan, CreatedApiKey, UsageDay } from './api-key.types';
import { apiKeyRules, API_KEY_OPERATIONS } from './api-key.rules';
import { evaluateCapabilities } from '../../kernel/capabilities';

type Context = ModuleContext<{ apiKeys: ApiKeyService; apiKeyQueries: ApiKeyQueries }, ApiKeyLoaders & MemberLoaders>;

@ArgsType()
class ApiKeysArgs {
  @Field(() => Int, {
    nullable: true,
    description: '0 to 100; 20 when neither first nor last is given; 0 for pageInfo and totalCount only.',
  })
  first?: number | null;
  @Field(() => String, { nullable: true }) after?: string | null;
  @Field(() => Int, { nullable: true, description: 'Page backward: the last items before `before` (or of the whole list).' })
  last?: number | null;
  @Field(() => String, { nullable: true }) before?: string | null;
  @Field(() => ApiKeyFilter, { nullable: true }) filter?: ApiKeyFilter | null;
  @Field(() => ApiKeyOrder, { nullable: true, description: 'Newest first when omitted.' }) orderBy?: ApiKeyOrder | null;
}

const MAX_USAGE_DAYS = 366;
const DAY_MS = 24 * 3600 * 1000;

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  @Query(() => ApiKeyConnection, { description: 'Keys of your organization, newest first unless orderBy says otherwise.' })
  @Requires('apiKeys', 'read')
  @Cost(pageCost(20))
  async apiKeys(@Args() args: ApiKeysArgs, @Ctx() ctx: Context, @Info() info: GraphQLResolveInfo) {
    // The page query also reads the relations the operation selects; the loaders are primed with them.
    const page = await ctx.services.apiKeyQueries.list(ctx.caller, args, selectedNodeFields(info));
    ctx.loaders.prime(page.related);
    return toConnection(page);
  }

  @Query(() => ApiKey, { nullable: true })
  @Requires('apiKeys', 'read')
  apiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.services.apiKeyQueries.get(ctx.caller, id);
  }

  @Mutation(() => CreatedApiKey, { description: 'Creates a key; the secret is in the payload and nowhere else, ever.' })
  @Requires(API_KEY_OPERATIONS.createApiKey)
  createApiKey(@Arg('input', () => CreateApiKeyInput) input: CreateApiKeyInput, @Ctx() ctx: Context) {
    return ctx.services.apiKeys.create(ctx.caller, input);
  }

  @Mutation(() => CreatedApiKey, { description: 'New secret for the same key; the old one ends now or after the grace period (≤ 7 days).' })
  @Requires(API_KEY_OPERATIONS.rotateApiKey)
  rotateApiKey(
    @Arg('id', () => ID) id: string,
    @Arg('gracePeriodSeconds', () => Int, { nullable: true, defaultValue: 0 }) gracePeriodSeconds: number | null,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.apiKeys.rotate(ctx.caller, id, gracePeriodSeconds);
  }

  @Mutation(() => ApiKey)
  @Requires(API_KEY_OPERATIONS.updateApiKey)
  updateApiKey(@Arg('id', () => ID) id: string, @Arg('input', () => UpdateApiKeyInput) input: UpdateApiKeyInput, @Ctx() ctx: Context) {
    return ctx.services.apiKeys.update(ctx.caller, id, input);
  }

  @Mutation(() => ApiKey, { description: 'Switch between ACTIVE and INACTIVE. A REVOKED key stays revoked (CONFLICT).' })
  @Requires(API_KEY_OPERATIONS.setApiKeyStatus)
  setApiKeyStatus(@Arg('id', () => ID) id: string, @Arg('status', () => ApiKeyToggle) status: ApiKeyToggle, @Ctx() ctx: Context) {
    return ctx.services.apiKeys.setStatus(ctx.caller, id, status as unknown as ApiKeyStatus.ACTIVE | ApiKeyStatus.INACTIVE);
  }

  @Mutation(() => ApiKey, { description: 'Permanent.' })
  @Requires(API_KEY_OPERATIONS.revokeApiKey)
  revokeApiKey(
    @Arg('id', () => ID) id: string,
    @Arg('reason', () => String, { nullable: true }) reason: string | null,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.apiKeys.revoke(ctx.caller, id, reason);
  }

  @Mutation(() => ID, { description: 'Removes the key from lists for good; the audit log keeps its name and prefix.' })
  @Requires(API_KEY_OPERATIONS.deleteApiKey)
  deleteApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.services.apiKeys.delete(ctx.caller, id);
  }

  @FieldResolver(() => User, {
    nullable: true,
    description: 'The user a USER key acts for; null for BOT keys.',
  })
  @Requires('members', 'read')
  owner(@Root() key: ApiKey, @Ctx() ctx: Context) {
    return key.ownerUserId ? ctx.loaders.users.get(key.ownerUserId) : null;
  }

  @FieldResolver(() => PermissionSet, { description: 'As granted.' })
  permissions(@Root() key: ApiKey, @Ctx() ctx: Context) {
    return PermissionSet.from(ctx.access, ctx.access.maskFromJson(key.permissions));
  }

  @FieldResolver(() => PermissionSet, { description: 'What the key can do now: for USER keys, the grant ∩ the owner’s current role.' })
  async effectivePermissions(@Root() key: ApiKey, @Ctx() ctx: Context) {
    const granted = ctx.access.maskFromJson(key.permissions);
    if (key.type !== ApiKeyType.USER || !key.ownerUserId) return PermissionSet.from(ctx.access, granted);
    const members = await ctx.loaders.memberships.load(key.ownerUserId);
    return PermissionSet.from(ctx.access, members ? granted & ctx.access.roles[members.role] : 0n);
  }

  @FieldResolver(() => ApiKeyViewerCan, { description: 'What you may do to this key now, and why not where you may not.' })
  viewerCan(@Root() key: ApiKey, @Ctx() ctx: Context) {
    return evaluateCapabilities(apiKeyRules(ctx.principal, ctx.access, key));
  }

  @FieldResolver(() => Date, {
    nullable: true,
    description: 'After a rotation with a grace period: when the previous secret stops working. Null when none is still valid.',
  })
  previousSecretExpiresAt(@Root() key: ApiKey, @Ctx() ctx: Context) {
    return ctx.loaders.graceEnds.load(key.id);
  }

  @FieldResolver(() => Actor, { nullable: true })
  createdBy(@Root() key: ApiKey, @Ctx() ctx: Context) {
    return ctx.loaders.actor(key.createdByKind, key.createdById);
  }

  @FieldResolver(() => Actor, { nullable: true })
  revokedBy(@Root() key: ApiKey, @Ctx() ctx: Context) {
    return ctx.loaders.actor(key.revokedByKind, key.revokedById);
  }

  @FieldResolver(() => Int, { description: 'All requests made with this key (flushed every few seconds).' })
  requestCount(@Root() key: ApiKey, @Ctx() ctx: Context) {
    return ctx.loaders.requestCounts.get(key.id);
  }

  @FieldResolver(() => [UsageDay], { description: 'Requests per UTC day for the last `days` days, oldest first, zero-filled.' })
  async usage(
    @Root() key: ApiKey,
    @Arg('days', () => Int, { nullable: true, defaultValue: 30 }) daysArg: number | null,
    @Ctx() ctx: Context,
  ) {
    const days = daysArg ?? 30;
    if (!Number.isInteger(days) || days < 1 || days > MAX_USAGE_DAYS) {
      throw new BadUserInputError({ days: `days must be between 1 and ${MAX_USAGE_DAYS}.` });
    }
    const rows = await ctx.loaders.usage(days).load(key.id);
    const counts = new Map(rows.map((r) => [r.day, r.requests]));
    const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
    return Array.from({ length: days }, (_, i) => {
      const day = new Date(today - (days - 1 - i) * DAY_MS).toISOString().slice(0, 10);
      return { day, requests: counts.get(day) ?? 0 };
    });
  }
}
