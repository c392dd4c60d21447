import { Entity, Index } from 'typeorm';
import { TimestampColumn } from '../../db/columns';
import { UserTokenRow } from './user-token-row';

/** A signed-in browser (the console). Signing out revokes the row, so a copied cookie stops too. */
@Entity('browser_sessions')
@Index('browser_sessions_token_hash_key', ['tokenHash'], { unique: true })
export class BrowserSession extends UserTokenRow {
  @TimestampColumn('revoked_at', { nullable: true })
  revokedAt: Date | null;
}
