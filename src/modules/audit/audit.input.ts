import { Field, ID, InputType } from 'type-graphql';

@InputType()
export class AuditFilter {
  @Field(() => String, { nullable: true, description: 'e.g. API_KEY_REVOKED' })
  action?: string | null;

  @Field(() => ID, { nullable: true })
  targetId?: string | null;

  @Field(() => Date, { nullable: true })
  since?: Date | null;
}
