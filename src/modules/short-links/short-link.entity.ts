import { OrgOwnedEntity } from '../../core/org-owned.entity';
import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import type { PrincipalKind } from '../../auth/principal';
import { CreatedAtColumn, TimestampColumn } from '../../db/columns';
import { Requires } from '../../graphql/requires.directive';
import { Domain } from '../domains/domain.entity';

/**
 * A slug that redirects to a URL, on the default host (domainId null) or a custom domain.
 * Slugs are unique per domain; the index that enforces it treats NULL domains as equal
 * (NULLS NOT DISTINCT), so it is written in the migration and not synchronized from here.
 */
@Entity('short_links')
@Index('short_links_org_created_idx', ['orgId', 'createdAt', 'id'])
@Index('short_links_domain_slug_key', { synchronize: false })
@ObjectType()
@Requires('shortLinks', 'read')
export class ShortLink extends OrgOwnedEntity {
  @Column({ name: 'domain_id', type: 'uuid', nullable: true })
  domainId: string | null;

  @ManyToOne(() => Domain, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'domain_id' })
  domain?: Domain;

  @Field()
  @Column({ type: 'varchar', length: 64 })
  slug: string;

  @Field()
  @Column({ type: 'varchar', length: 2048 })
  url: string;

  @Field(() => String, { nullable: true })
  @Column({ type: 'varchar', length: 200, nullable: true })
  title: string | null;

  @Field(() => [String])
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  tags: string[];

  @Field(() => Date)
  @CreatedAtColumn()
  createdAt: Date;

  @Field(() => Date)
  @TimestampColumn('updated_at', { default: () => 'now()' })
  updatedAt: Date;

  @Column({ name: 'created_by_kind', type: 'varchar', length: 8 })
  createdByKind: PrincipalKind;

  @Column({ name: 'created_by_id', type: 'uuid' })
  createdById: string;

  /** Total clicks, advanced by the click recorder's batched flush. */
  @Column({ name: 'click_count', type: 'bigint', default: 0, transformer: { to: (v: number) => v, from: (v: string) => Number(v) } })
  clickCount: number;
}
