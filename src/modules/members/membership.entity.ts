import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Requires } from '../../graphql/requires.directive';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Role } from '../../kernel/access';
import { CreatedAtColumn, TimestampColumn } from '../../db/columns';
import { User } from './user.entity';

registerEnumType(Role, { name: 'Role' });

/** A user's membership of an organization; exposed to GraphQL as `Member`. */
@Entity('memberships')
@Index('memberships_user_idx', ['userId'])
@ObjectType('Member')
@Requires('members', 'read')
export class Membership {
  @PrimaryColumn({ name: 'org_id', type: 'uuid' })
  orgId: string;

  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId: string;

  // Named, not imported: organizations builds on members (its bootstrap adds the owner), not the other way round.
  @ManyToOne('Organization', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'org_id' })
  organization?: object;

  @Field(() => User)
  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user: User;

  @Field(() => Role)
  @Column({ type: 'varchar', length: 16 })
  role: Role;

  @Field(() => Date, { description: 'When the member was added (invited, or made owner of a new organization).' })
  @CreatedAtColumn('joined_at')
  joinedAt: Date;

  /** Set once, by the sessions feature, when the person first signs in to the console after joining. */
  @Field(() => Date, {
    nullable: true,
    description:
      'When the member’s console session (after a sign-in link or the identity provider) first acted in this organization; null while the invitation is pending. Sign-ins to other organizations and calls with a session token alone do not count.',
  })
  @TimestampColumn('first_signed_in_at', { nullable: true })
  firstSignedInAt: Date | null;
}
