import DataLoader from 'dataloader';
import type { LoaderContext } from '../../core/loaders';
import { RowShape } from '../../db/row-shape';
import { ShortLink } from './short-link.entity';

/**
 * The caller's organization's links by id (null for another organization's or a deleted one), and
 * how many links each domain has (a domain's `linkCount`, its delete rule).
 */
export function shortLinkLoaders({ dataSource, principal }: LoaderContext) {
  const shape = RowShape.of(dataSource, ShortLink, 'l');
  const shortLinks = new DataLoader<string, ShortLink | null>(async (ids) => {
    const rows: Record<string, unknown>[] = await dataSource.query(
      `SELECT ${shape.select} FROM short_links l WHERE l.org_id = $1 AND l.id = ANY($2::uuid[])`,
      [principal.orgId, ids],
    );
    const byId = new Map(rows.map((r) => shape.from(r)!).map((link) => [link.id, link]));
    return ids.map((id) => byId.get(id) ?? null);
  });
  const linkCounts = new DataLoader<string, number>(async (domainIds) => {
    const rows: { domain_id: string; n: number }[] = await dataSource.query(
      'SELECT domain_id, count(*)::int AS n FROM short_links WHERE org_id = $1 AND domain_id = ANY($2::uuid[]) GROUP BY domain_id',
      [principal.orgId, domainIds],
    );
    const map = new Map(rows.map((r) => [r.domain_id, r.n]));
    return domainIds.map((id) => map.get(id) ?? 0);
  });
  return { shortLinks, linkCounts };
}

export type ShortLinkLoaders = ReturnType<typeof shortLinkLoaders>;
