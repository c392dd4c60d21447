import DataLoader from 'dataloader';
import type { LoaderContext } from '../../core/loaders';

/** How many of the caller's organization's links each domain has (a domain's `linkCount`, its delete rule). */
export function shortLinkLoaders({ dataSource, principal }: LoaderContext) {
  const linkCounts = new DataLoader<string, number>(async (domainIds) => {
    const rows: { domain_id: string; n: number }[] = await dataSource.query(
      'SELECT domain_id, count(*)::int AS n FROM short_links WHERE org_id = $1 AND domain_id = ANY($2::uuid[]) GROUP BY domain_id',
      [principal.orgId, domainIds],
    );
    const map = new Map(rows.map((r) => [r.domain_id, r.n]));
    return domainIds.map((id) => map.get(id) ?? 0);
  });
  return { linkCounts };
}

export type ShortLinkLoaders = ReturnType<typeof shortLinkLoaders>;
