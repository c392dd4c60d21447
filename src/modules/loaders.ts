import DataLoader from 'dataloader';
import { In, type DataSource } from 'typeorm';
import type { Principal, PrincipalKind } from '../auth/principal';
import type { AccessModel } from '../kernel/access';
import { visibleActorName } from '../core/actors';
import { ApiKey } from './api-keys/api-key.entity';
import { Domain } from './domains/domain.entity';
import { RowShape } from '../db/row-shape';
import type { KeyActor, Related } from './list-relations';
import { Membership } from './members/membership.entity';
import { User } from './members/user.entity';
import { Organization } from './organizations/organization.entity';
import { StatsService, type LinkStatsResult, type StatsInterval } from './stats/stats.service';
import type { Actor } from '../graphql/types/actor.type';
import { PrincipalKindEnum } from '../graphql/types/actor.type';

export interface UsageDayRow {
  day: string;
  requests: number;
}

/**
 * Per-request batching: every relation reached from a list costs one query per field, not one
 * per row. Loaders are created per request so nothing is cached across principals.
 */
export function createLoaders(dataSource: DataSource, principal: Pick<Principal, 'orgId' | 'permissions'>, access: AccessModel) {
  const { orgId } = principal;
  const byId = <T extends { id: string }>(rows: T[], ids: readonly string[]) => {
    const map = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => map.get(id) ?? null);
  };

  /** Rows selected with an entity's shape, built into that entity, in the order of `ids`. */
  const shaped = async <T extends { id: string }>(shape: RowShape<T>, sql: string, params: unknown[], ids: readonly string[]) =>
    byId(
      ((await dataSource.query(sql, params)) as Record<string, unknown>[]).map((r) => shape.from(r)!),
      ids,
    );

  const userShape = RowShape.of(dataSource, User, 'u');
  const users = new DataLoader<string, User | null>((ids) =>
    shaped(userShape, `SELECT ${userShape.select} FROM users u WHERE u.id = ANY($1::uuid[])`, [ids], ids),
  );

  /** What an actor that is a key shows. Includes deleted keys (history keeps their names). Org-scoped. */
  const keyActors = new DataLoader<string, KeyActor | null>(async (ids) =>
    byId<KeyActor>(
      await dataSource.query('SELECT id, name, prefix FROM api_keys WHERE org_id = $1 AND id = ANY($2::uuid[])', [orgId, ids]),
      ids,
    ),
  );

  /** Includes deleted keys: an actor that was a key keeps its name in history. Org-scoped. */
  const apiKeys = new DataLoader<string, ApiKey | null>(async (ids) =>
    byId(await dataSource.getRepository(ApiKey).findBy({ id: In([...ids]), orgId }), ids),
  );

  /** The caller's organization's membership of each user id. */
  const memberships = new DataLoader<string, Membership | null>(async (userIds) => {
    const rows = await dataSource.getRepository(Membership).findBy({ orgId, userId: In([...userIds]) });
    const map = new Map(rows.map((r) => [r.userId, r]));
    return userIds.map((id) => map.get(id) ?? null);
  });

  const domainShape = RowShape.of(dataSource, Domain, 'd');
  const domains = new DataLoader<string, Domain | null>((ids) =>
    shaped(domainShape, `SELECT ${domainShape.select} FROM domains d WHERE d.org_id = $1 AND d.id = ANY($2::uuid[])`, [orgId, ids], ids),
  );

  const linkCounts = new DataLoader<string, number>(async (domainIds) => {
    const rows: { domain_id: string; n: number }[] = await dataSource.query(
      'SELECT domain_id, count(*)::int AS n FROM short_links WHERE org_id = $1 AND domain_id = ANY($2::uuid[]) GROUP BY domain_id',
      [orgId, domainIds],
    );
    const map = new Map(rows.map((r) => [r.domain_id, r.n]));
    return domainIds.map((id) => map.get(id) ?? 0);
  });

  const organizations = new DataLoader<string, Organization | null>(async (ids) =>
    byId(await dataSource.getRepository(Organization).findBy({ id: In([...ids]) }), ids),
  );

  const requestCounts = new DataLoader<string, number>(async (ids) => {
    const rows: { api_key_id: string; total: string }[] = await dataSource.query(
      'SELECT api_key_id, sum(requests)::bigint AS total FROM api_key_usage WHERE api_key_id = ANY($1::uuid[]) GROUP BY api_key_id',
      [ids],
    );
    const map = new Map(rows.map((r) => [r.api_key_id, Number(r.total)]));
    return ids.map((id) => map.get(id) ?? 0);
  });

  /** When the rotated-out secret of a key in a rotation grace period stops working. */
  const graceEnds = new DataLoader<string, Date | null>(async (ids) => {
    const rows: { api_key_id: string; ends_at: Date }[] = await dataSource.query(
      'SELECT api_key_id, max(ends_at) AS ends_at FROM api_key_secrets WHERE api_key_id = ANY($1::uuid[]) AND ends_at > now() GROUP BY api_key_id',
      [ids],
    );
    const map = new Map(rows.map((r) => [r.api_key_id, r.ends_at]));
    return ids.map((id) => map.get(id) ?? null);
  });

  /** How many owners the caller's organization has (the last-owner rule), asked once per request. */
  let owners: Promise<number> | undefined;
  const ownerCount = () =>
    (owners ??= dataSource
      .query("SELECT count(*)::int AS n FROM memberships WHERE org_id = $1 AND role = 'OWNER'", [orgId])
      .then((rows: { n: number }[]) => rows[0].n));

  const usageByDays = new Map<number, DataLoader<string, UsageDayRow[]>>();
  const usage = (days: number) => {
    let loader = usageByDays.get(days);
    if (!loader) {
      loader = new DataLoader<string, UsageDayRow[]>(async (ids) => {
        const rows: { api_key_id: string; day: string; requests: number }[] = await dataSource.query(
          `SELECT api_key_id, to_char(day, 'YYYY-MM-DD') AS day, requests FROM api_key_usage
            WHERE api_key_id = ANY($1::uuid[]) AND day > (now() AT TIME ZONE 'UTC')::date - $2::int`,
          [ids, days],
        );
        const byKey = new Map<string, UsageDayRow[]>();
        for (const r of rows) {
          const list = byKey.get(r.api_key_id) ?? [];
          list.push({ day: r.day, requests: r.requests });
          byKey.set(r.api_key_id, list);
        }
        return ids.map((id) => byKey.get(id) ?? []);
      });
      usageByDays.set(days, loader);
    }
    return loader;
  };

  /** One statement per page of links (and per distinct range asked), whatever the page size. */
  const stats = new StatsService(dataSource);
  const linkStatsByRange = new Map<string, DataLoader<string, LinkStatsResult>>();
  const linkStats = (interval: StatsInterval, from: Date | null, to: Date | null) => {
    const key = `${interval}|${from?.toISOString() ?? ''}|${to?.toISOString() ?? ''}`;
    let loader = linkStatsByRange.get(key);
    if (!loader) {
      loader = new DataLoader<string, LinkStatsResult>((ids) => stats.forLinks(orgId, ids, { from, to }, interval));
      linkStatsByRange.set(key, loader);
    }
    return loader;
  };

  /** Who made or revoked something; the name only for readers of the actor's resource. */
  async function actor(kind: PrincipalKind | null, id: string | null): Promise<Actor | null> {
    if (!kind || !id) return null;
    if (kind === 'USER') {
      const user = await users.load(id);
      return user && { kind: PrincipalKindEnum.USER, id, name: visibleActorName(access, 'USER', user.email, principal.permissions) };
    }
    const key = await keyActors.load(id);
    return (
      key && {
        kind: PrincipalKindEnum.API_KEY,
        id,
        name: visibleActorName(access, 'API_KEY', `${key.name} (${key.prefix})`, principal.permissions),
      }
    );
  }

  /** Related rows a list page already read: later loads of them run no query. */
  function prime(related: Related): void {
    for (const u of related.users) users.prime(u.id, u);
    for (const k of related.keyActors) keyActors.prime(k.id, k);
    for (const [id, n] of related.requestCounts) requestCounts.prime(id, n);
    for (const d of related.domains) domains.prime(d.id, d);
  }

  return {
    prime,
    users,
    keyActors,
    apiKeys,
    memberships,
    domains,
    linkCounts,
    organizations,
    requestCounts,
    graceEnds,
    ownerCount,
    usage,
    linkStats,
    actor,
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
