import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { CreatedAtColumn, TimestampColumn } from '../../db/columns';
import { ApiKey } from './api-key.entity';

/**
 * One secret of a key, stored only as SHA-256. Rotation adds a row and gives the old one an
 * `endsAt` (now, or the end of the grace period), so both work during the grace period.
 */
@Entity('api_key_secrets')
@Index('api_key_secrets_key_idx', ['apiKeyId'])
export class ApiKeySecret {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'api_key_id', type: 'uuid' })
  apiKeyId: string;

  @ManyToOne(() => ApiKey, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'api_key_id' })
  apiKey?: ApiKey;

  @Index('api_key_secrets_hash_key', { unique: true })
  @Column({ name: 'secret_hash', type: 'char', length: 64 })
  secretHash: string;

  @Column({ type: 'varchar', length: 32 })
  prefix: string;

  @Column({ type: 'varchar', length: 4 })
  last4: string;

  @CreatedAtColumn()
  createdAt: Date;

  @TimestampColumn('ends_at', { nullable: true })
  endsAt: Date | null;
}
