import { Entity, Index } from 'typeorm';
import { TimestampColumn } from '../../db/columns';
import { UserTokenRow } from './user-token-row';

/** A one-time console sign-in link (first start in development, and the CLI). */
@Entity('sign_in_links')
@Index('sign_in_links_token_hash_key', ['tokenHash'], { unique: true })
export class SignInLink extends UserTokenRow {
  @TimestampColumn('used_at', { nullable: true })
  usedAt: Date | null;
}
