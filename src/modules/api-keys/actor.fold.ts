import type { DataSource } from 'typeorm';
import type { Fold } from '../../core/list-relations';
import type { OrgScopedQuery } from '../../db/org-scoped-query';
import { userFold } from '../members/user.fold';

/** Who made or revoked a row: a person (filed for `users`) or a key of the caller's organization (for `keyActors`). */
export function actorFold(dataSource: DataSource, q: OrgScopedQuery, alias: string, kindColumn: string, idColumn: string): Fold {
  const users = userFold(dataSource, `${alias}u`, idColumn, kindColumn);
  const k = `${alias}k`;
  // Each row's keys, made once per fold rather than per row.
  const [idKey, nameKey, prefixKey] = [`${k}.id`, `${k}.name`, `${k}.prefix`];
  return {
    select: `${users.select}, ${k}.id AS "${k}.id", ${k}.name AS "${k}.name", ${k}.prefix AS "${k}.prefix"`,
    joins: `${users.joins} LEFT JOIN api_keys ${k} ON ${kindColumn} = 'API_KEY' AND ${k}.id = ${idColumn} AND ${k}.org_id = ${q.orgParam}`,
    collect: (row, into) => {
      users.collect(row, into);
      const id = row[idKey] as string | null;
      if (id) into.add('keyActors', id, { id, name: row[nameKey] as string, prefix: row[prefixKey] as string });
    },
  };
}

/** All requests made with the key `keyAlias` names (what `requestCount` sums), filed for `requestCounts`. */
export function requestCountFold(keyAlias: string): Fold {
  const idKey = `${keyAlias}.id`;
  return {
    select: `(SELECT coalesce(sum(u.requests), 0)::float8 FROM api_key_usage u WHERE u.api_key_id = ${keyAlias}.id) AS "requestCount"`,
    joins: '',
    collect: (row, into) => into.add('requestCounts', row[idKey] as string, row.requestCount as number),
  };
}
