import { Field, ID, ObjectType } from 'type-graphql';
import { JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { OrgIdColumn } from '../db/columns';

/**
 * What every row that belongs to one organization has: a UUID id and `org_id`, deleted with its
 * organization. Services scope every query by `orgId` (see findOrgRow), never by a client value.
 */
// Never referenced by a resolver, so it is not emitted; the subclasses inherit its fields.
@ObjectType()
export abstract class OrgOwnedEntity {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @OrgIdColumn()
  orgId: string;

  // Named, not imported: the core knows no feature, and organizations is one.
  @ManyToOne('Organization', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'org_id' })
  organization?: object;
}
