import type { DataSource } from 'typeorm';
import type { OrgScopedQuery } from '../db/org-scoped-query';
import { RowShape } from '../db/row-shape';
import { Domain } from './domains/domain.entity';
import { User } from './members/user.entity';

type Row = Record<string, unknown>;

/** What an actor that is a key shows: its name and prefix (deleted keys too, for history). */
export interface KeyActor {
  id: string;
  name: string;
  prefix: string;
}

/** Related rows a list page carries, primed into the request's loaders so field resolvers find them without a query. */
export interface Related {
  users: User[];
  keyActors: KeyActor[];
  requestCounts: [keyId: string, total: number][];
  domains: Domain[];
}

/**
 * A relation folded into a list's page query: its columns, its LEFT JOIN (on a primary key, so it
 * never multiplies rows) and how to take its rows out of each result row. Joins to org-owned
 * tables repeat the organization condition, so nothing of another organization can come back.
 */
export interface Fold {
  select: string;
  joins: string;
  collect(row: Row, into: Related): void;
}

export const emptyRelated = (): Related => ({ users: [], keyActors: [], requestCounts: [], domains: [] });

/** The user `idColumn` names (when `kindColumn`, if given, says USER). */
export function userFold(dataSource: DataSource, alias: string, idColumn: string, kindColumn?: string): Fold {
  const shape = RowShape.of(dataSource, User, alias);
  const kind = kindColumn ? `${kindColumn} = 'USER' AND ` : '';
  return {
    select: shape.select,
    joins: `LEFT JOIN users ${alias} ON ${kind}${alias}.id = ${idColumn}`,
    collect: (row, into) => {
      const user = shape.from(row);
      if (user) into.users.push(user);
    },
  };
}

/** Who made or revoked a row: a user, or a key of the caller's organization. */
export function actorFold(dataSource: DataSource, q: OrgScopedQuery, alias: string, kindColumn: string, idColumn: string): Fold {
  const users = userFold(dataSource, `${alias}u`, idColumn, kindColumn);
  const k = `${alias}k`;
  return {
    select: `${users.select}, ${k}.id AS "${k}.id", ${k}.name AS "${k}.name", ${k}.prefix AS "${k}.prefix"`,
    joins: `${users.joins} LEFT JOIN api_keys ${k} ON ${kindColumn} = 'API_KEY' AND ${k}.id = ${idColumn} AND ${k}.org_id = ${q.orgParam}`,
    collect: (row, into) => {
      users.collect(row, into);
      const id = row[`${k}.id`] as string | null;
      if (id) into.keyActors.push({ id, name: row[`${k}.name`] as string, prefix: row[`${k}.prefix`] as string });
    },
  };
}

/** All requests made with the key `keyAlias` names (what `requestCount` sums). */
export function requestCountFold(keyAlias: string): Fold {
  return {
    select: `(SELECT coalesce(sum(u.requests), 0)::float8 FROM api_key_usage u WHERE u.api_key_id = ${keyAlias}.id) AS "requestCount"`,
    joins: '',
    collect: (row, into) => void into.requestCounts.push([row[`${keyAlias}.id`] as string, row.requestCount as number]),
  };
}

/** The custom domain of a link, in the caller's organization. */
export function domainFold(dataSource: DataSource, q: OrgScopedQuery, alias: string, idColumn: string): Fold {
  const shape = RowShape.of(dataSource, Domain, alias);
  return {
    select: shape.select,
    joins: `LEFT JOIN domains ${alias} ON ${alias}.id = ${idColumn} AND ${alias}.org_id = ${q.orgParam}`,
    collect: (row, into) => {
      const domain = shape.from(row);
      if (domain) into.domains.push(domain);
    },
  };
}

/** A page query's SELECT list and joins with `folds` added, and a row mapper that also collects their rows. */
export function withFolds<T>(
  select: string,
  folds: Fold[],
  map: (row: Row) => T,
): { select: string; joins: string; map: (row: Row) => T; related: Related } {
  const related = emptyRelated();
  return {
    select: [select, ...folds.map((f) => f.select)].join(', '),
    joins: folds.map((f) => f.joins).join(' '),
    map: (row) => {
      for (const f of folds) f.collect(row, related);
      return map(row);
    },
    related,
  };
}
