import { Args, ArgsType, Ctx, Field, FieldResolver, Int, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { ModuleContext } from '../context';
import type { AuditService } from './audit.service';
import { Requires } from '../../graphql/requires.directive';
import { Actor, PrincipalKindEnum } from '../../graphql/types/actor.type';
import { Connection, toConnection } from '../../graphql/types/connection';
import { AuditEvent } from './audit-event.entity';
import { AuditFilter } from './audit.input';

type Context = ModuleContext<{ audit: AuditService }>;

@ObjectType()
class AuditEventConnection extends Connection(AuditEvent) {}

@ArgsType()
class AuditLogArgs {
  @Field(() => Int, { nullable: true, defaultValue: 50 }) first: number;
  @Field(() => String, { nullable: true }) after?: string | null;
  @Field(() => AuditFilter, { nullable: true }) filter?: AuditFilter | null;
}

@Resolver(() => AuditEvent)
export class AuditResolver {
  @Query(() => AuditEventConnection, { description: 'Key and membership changes in your organization, newest first.' })
  @Requires('apiKeys', 'read')
  auditLog(@Args() args: AuditLogArgs, @Ctx() ctx: Context) {
    return ctx.services.audit.list(ctx.caller, args).then(toConnection);
  }

  /** Names are copied at write time, so no lookup is needed and history survives deletions. */
  @FieldResolver(() => Actor)
  actor(@Root() event: AuditEvent): Actor {
    return { kind: event.actorKind as PrincipalKindEnum, id: event.actorId, name: event.actorName };
  }
}
