import { OrgOwnedEntity } from '../../core/org-owned.entity';
import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, Index } from 'typeorm';
import { CreatedAtColumn, TimestampColumn } from '../../db/columns';
import { Requires } from '../../graphql/requires.directive';

@ObjectType({ description: 'The DNS TXT record that proves control of a domain.' })
export class VerificationRecord {
  @Field({ description: 'e.g. `_keygate.links.example.com`' }) name: string;
  @Field() value: string;
}

/** A custom hostname for short links. Unique across all organizations. */
@Entity('domains')
@Index('domains_org_created_idx', ['orgId', 'createdAt', 'id'])
@ObjectType()
@Requires('domains', 'read')
export class Domain extends OrgOwnedEntity {
  /** Lower-case ASCII (punycode for IDNs). */
  @Field()
  @Index('domains_hostname_key', { unique: true })
  @Column({ type: 'varchar', length: 253 })
  hostname: string;

  @Column({ name: 'verification_token', type: 'varchar', length: 64 })
  verificationToken: string;

  @TimestampColumn('verified_at', { nullable: true })
  verifiedAt: Date | null;

  @Field(() => Date)
  @CreatedAtColumn()
  createdAt: Date;

  @Field()
  get verified(): boolean {
    return this.verifiedAt !== null;
  }

  @Field(() => VerificationRecord)
  get verificationRecord(): VerificationRecord {
    return { name: `_keygate.${this.hostname}`, value: `keygate-verification=${this.verificationToken}` };
  }
}
