import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { CreatedAtColumn } from '../../db/columns';
import { User } from '../members/user.entity';

/**
 * A person as an identity provider knows them: (issuer, subject) → keygate user. Created on the
 * first sign-in, when the provider's verified email is a member's email.
 */
@Entity('user_identities')
@Index('user_identities_user_idx', ['userId'])
export class UserIdentity {
  @PrimaryColumn({ type: 'varchar', length: 300 })
  issuer: string;

  @PrimaryColumn({ type: 'varchar', length: 300 })
  subject: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @CreatedAtColumn()
  createdAt: Date;
}
