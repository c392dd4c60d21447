import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Entity, Index, PrimaryGeneratedColumn, Column } from 'typeorm';
import { CreatedAtColumn } from '../../db/columns';
import { Plan } from '../../kernel/plans';

registerEnumType(Plan, { name: 'Plan', description: 'Billing plan; sets the per-key rate limit.' });

@Entity('organizations')
// Unique on lower(name) (migration OrganizationNameUnique); TypeORM cannot express the expression.
@Index('organizations_name_lower_key', { synchronize: false })
@ObjectType()
export class Organization {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Field()
  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Field(() => Plan)
  @Column({ type: 'varchar', length: 16, default: Plan.FREE })
  plan: Plan;

  @CreatedAtColumn()
  createdAt: Date;

  /** Keys not deleted; kept by a trigger on api_keys (migration LiveApiKeyCount), read for apiKeys' totalCount. */
  @Column({ name: 'live_api_keys', type: 'integer', default: 0, select: false, insert: false, update: false })
  liveApiKeys: number;
}
