import { RequestLoader } from '../../core/request-loader';
import type { Fold } from '../../core/list-relations';
import type { LoaderContext } from '../../core/loaders';
import type { OrgScopedQuery } from '../../db/org-scoped-query';
import { RowShape } from '../../db/row-shape';
import type { DataSource } from 'typeorm';
import { Domain } from './domain.entity';

/** The caller's organization's domains by id. */
export function domainLoaders({ dataSource, principal }: LoaderContext) {
  const shape = RowShape.of(dataSource, Domain, 'd');
  const domains = new RequestLoader<string, Domain | null>(async (ids) => {
    const rows: Record<string, unknown>[] = await dataSource.query(
      `SELECT ${shape.select} FROM domains d WHERE d.org_id = $1 AND d.id = ANY($2::uuid[])`,
      [principal.orgId, ids],
    );
    const byId = new Map(rows.map((r) => shape.from(r)!).map((d) => [d.id, d]));
    return ids.map((id) => byId.get(id) ?? null);
  });
  return { domains };
}

export type DomainLoaders = ReturnType<typeof domainLoaders>;

/** The custom domain of a listed row, in the caller's organization, filed for `domains`. */
export function domainFold(dataSource: DataSource, q: OrgScopedQuery, alias: string, idColumn: string): Fold {
  const shape = RowShape.of(dataSource, Domain, alias);
  return {
    select: shape.select,
    joins: `LEFT JOIN domains ${alias} ON ${alias}.id = ${idColumn} AND ${alias}.org_id = ${q.orgParam}`,
    collect: (row, into) => {
      const domain = shape.from(row);
      if (domain) into.add('domains', domain.id, domain);
    },
  };
}
