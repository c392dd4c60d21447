import type { DataSource, EntityManager } from 'typeorm';
import type { Changes } from '../../core/changes';
import { actorOf, type Caller } from '../../auth/principal';
import { isUniqueViolation } from '../../db/errors';
import { findOrgRow } from '../../db/org-scoped';
import { isUuid } from '../../kernel/ids';
import type { Page, PageArgs } from '../../db/pagination';
import { OrgScopedQuery } from '../../db/org-scoped-query';
import { RowShape } from '../../db/row-shape';
import { newestFirstSqlPage } from '../../db/sql-page';
import { withFolds, type Fold, type Related } from '../../core/list-relations';
import { actorFold } from '../api-keys/actor.fold';
import { domainFold } from '../domains/domain.loaders';
import { BadUserInputError, checkInput, ConflictError } from '../../kernel/errors';
import { SHORT_LINK_AUDIT } from './short-link.audit';
import { Domain } from '../domains/domain.entity';
import { ShortLink } from './short-link.entity';
import { generateSlug, validateSlug, validateTags, validateTargetUrl, validateTitle, SHORT_LINK_OPERATIONS } from './short-link.rules';

export interface CreateShortLinkArgs {
  url: string;
  slug?: string | null;
  domainId?: string | null;
  title?: string | null;
  tags?: string[] | null;
}

export interface UpdateShortLinkArgs {
  url?: string | null;
  slug?: string | null;
  domainId?: string | null;
  title?: string | null;
  tags?: string[] | null;
}

export interface ShortLinkFilterArgs {
  search?: string | null;
  domainId?: string | null;
  tag?: string | null;
}

const SLUG_ATTEMPTS = 5;

export class ShortLinkService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly changes: Changes,
  ) {}

  /** One page in SQL we own; the domain and createdBy are folded into it when `selected`. */
  async list(
    caller: Caller,
    args: PageArgs & { filter?: ShortLinkFilterArgs | null },
    selected: ReadonlySet<string> = new Set(),
  ): Promise<Page<ShortLink> & { related: Related }> {
    const q = new OrgScopedQuery('short_links l', 'l', caller.principal.orgId);
    const f = args.filter ?? {};
    const search = f.search?.trim();
    if (search) {
      if (search.length > 200) throw new BadUserInputError({ 'filter.search': 'search is at most 200 characters.' });
      const like = q.param(`%${search.replace(/[\\%_]/g, '\\$&')}%`);
      q.where(`l.slug ILIKE ${like} ESCAPE '\\' OR l.url ILIKE ${like} ESCAPE '\\' OR l.title ILIKE ${like} ESCAPE '\\'`);
    }
    if (f.domainId) q.where(isUuid(f.domainId) ? `l.domain_id = ${q.param(f.domainId)}` : 'false');
    if (f.tag) q.where(`${q.param(f.tag.trim().toLowerCase())} = ANY(l.tags)`);
    const ds = caller.db ?? this.dataSource;
    const folds: Fold[] = [];
    if (selected.has('domain')) folds.push(domainFold(ds, q, 'd', 'l.domain_id'));
    if (selected.has('createdBy')) folds.push(actorFold(ds, q, 'cb', 'l.created_by_kind', 'l.created_by_id'));
    const shape = RowShape.of(ds, ShortLink, 'l');
    const { select, joins, map, related } = withFolds(shape.select, folds, (row) => shape.from(row)!);
    const page = await newestFirstSqlPage(ds, { query: q, select, joins, column: 'l.created_at', map }, args, 20);
    return { ...page, related };
  }

  async get(caller: Caller, id: string): Promise<ShortLink | null> {
    if (!isUuid(id)) return null;
    return (caller.db ?? this.dataSource).getRepository(ShortLink).findOneBy({ id, orgId: caller.principal.orgId });
  }

  async create(caller: Caller, input: CreateShortLinkArgs): Promise<ShortLink> {
    const { url, chosenSlug, title, tags } = checkInput({
      url: () => validateTargetUrl(input.url, 'input.url'),
      chosenSlug: () => (input.slug == null || input.slug.trim() === '' ? null : validateSlug(input.slug, 'input.slug')),
      title: () => validateTitle(input.title, 'input.title'),
      tags: () => validateTags(input.tags, 'input.tags'),
    });
    const actor = actorOf(caller.principal);

    // A generated slug that collides is retried with a new one; a chosen slug that is taken is CONFLICT.
    for (let attempt = 1; ; attempt++) {
      const slug = chosenSlug ?? generateSlug();
      try {
        return await this.changes.run(caller, SHORT_LINK_OPERATIONS.createShortLink, async (tx) => {
          const { m, caller } = tx;
          const domainId = await this.ownDomainId(m, caller, input.domainId, 'input.domainId');
          const link = m.getRepository(ShortLink).create({
            orgId: caller.principal.orgId,
            domainId,
            slug,
            url,
            title,
            tags,
            createdByKind: actor.kind,
            createdById: actor.id,
            clickCount: 0,
          });
          await m.save(link);
          await tx.audit(SHORT_LINK_AUDIT, 'SHORT_LINK_CREATED', {
            targetId: link.id,
            targetName: slug,
            metadata: { url, domainId, slug },
          });
          return link;
        });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        if (chosenSlug !== null) throw new ConflictError(`The slug "${chosenSlug}" is already taken on this domain.`);
        if (attempt >= SLUG_ATTEMPTS) throw new ConflictError('Could not find a free slug; try again or choose one.');
      }
    }
  }

  async update(caller: Caller, id: string, input: UpdateShortLinkArgs): Promise<ShortLink> {
    const checked = checkInput({
      url: () => (input.url == null ? undefined : validateTargetUrl(input.url, 'input.url')),
      slug: () => (input.slug == null ? undefined : validateSlug(input.slug, 'input.slug')),
      title: () => (input.title === undefined ? undefined : validateTitle(input.title, 'input.title')),
      tags: () => (input.tags == null ? undefined : validateTags(input.tags, 'input.tags')),
    });
    const changes: Partial<ShortLink> = {};
    for (const [field, value] of Object.entries(checked)) if (value !== undefined) Object.assign(changes, { [field]: value });
    if (Object.keys(changes).length === 0 && input.domainId === undefined) {
      throw new BadUserInputError({ input: 'Give at least one field to change.' });
    }
    try {
      return await this.changes.run(caller, SHORT_LINK_OPERATIONS.updateShortLink, async (tx) => {
        const { m, caller } = tx;
        const link = await this.lock(m, caller, id);
        if (input.domainId !== undefined) changes.domainId = await this.ownDomainId(m, caller, input.domainId, 'input.domainId');
        const before = { url: link.url, slug: link.slug, domainId: link.domainId, title: link.title, tags: link.tags };
        Object.assign(link, changes, { updatedAt: new Date() });
        await m.save(link);
        await tx.audit(SHORT_LINK_AUDIT, 'SHORT_LINK_UPDATED', {
          targetId: link.id,
          targetName: link.slug,
          metadata: { before, changed: Object.keys(changes) },
        });
        return link;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`The slug "${changes.slug}" is already taken on this domain.`);
      throw error;
    }
  }

  async delete(caller: Caller, id: string): Promise<string> {
    return this.changes.run(caller, SHORT_LINK_OPERATIONS.deleteShortLink, async (tx) => {
      const { m, caller } = tx;
      const link = await this.lock(m, caller, id);
      await m.delete(ShortLink, { id: link.id });
      await tx.audit(SHORT_LINK_AUDIT, 'SHORT_LINK_DELETED', {
        targetId: link.id,
        targetName: link.slug,
        metadata: { url: link.url, domainId: link.domainId },
      });
      return link.id;
    });
  }

  /** The links on a domain, inside a change of the domains feature (LinksOnDomain). */
  countOnDomainWithin(m: EntityManager, domainId: string): Promise<number> {
    return m.getRepository(ShortLink).countBy({ domainId });
  }

  /** Deletes the links on a domain deleted with `force: true`, in the same change. */
  async deleteOnDomainWithin(m: EntityManager, domainId: string): Promise<void> {
    await m.delete(ShortLink, { domainId });
  }

  private lock(m: EntityManager, caller: Caller, id: string): Promise<ShortLink> {
    return findOrgRow(m, ShortLink, caller.principal.orgId, id, { what: 'Short link', lock: true });
  }

  /** A domain id must name a domain of the caller's organization; null means the default host. */
  private async ownDomainId(m: EntityManager, caller: Caller, domainId: string | null | undefined, field: string): Promise<string | null> {
    if (domainId == null) return null;
    const found = isUuid(domainId) && (await m.getRepository(Domain).existsBy({ id: domainId, orgId: caller.principal.orgId }));
    if (!found) throw new BadUserInputError({ [field]: 'No such domain in your organization.' });
    return domainId;
  }
}
