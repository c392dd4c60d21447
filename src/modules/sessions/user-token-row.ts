import { Column, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { CreatedAtColumn, TimestampColumn } from '../../db/columns';
import { User } from '../members/user.entity';

/**
 * What a browser session and a sign-in link share: a random token held by a person, stored only
 * as its SHA-256, for one user, until it expires. Each table adds its own unique index on the hash.
 */
export abstract class UserTokenRow {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'token_hash', type: 'char', length: 64 })
  tokenHash: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @CreatedAtColumn()
  createdAt: Date;

  @TimestampColumn('expires_at')
  expiresAt: Date;
}
