import { RequestLoader, thenOrNow } from '../../core/request-loader';
import DataLoader from 'dataloader';
import { In } from 'typeorm';
import type { PrincipalKind } from '../../auth/principal';
import { visibleActorName } from '../../core/actors';
import type { LoaderContext } from '../../core/loaders';
import { PrincipalKindEnum, type Actor } from '../../graphql/types/actor.type';
import type { MemberLoaders } from '../members/member.loaders';
import { ApiKey } from './api-key.entity';

/** What an actor that is a key shows: its name and prefix (deleted keys too, for history). */
export interface KeyActor {
  id: string;
  name: string;
  prefix: string;
}

export interface UsageDayRow {
  day: string;
  requests: number;
}

/** Keys of the caller's organization by id, what they show as actors, their usage, and who made a change. */
export function apiKeyLoaders({ dataSource, principal, access, loaders }: LoaderContext) {
  const { orgId } = principal;
  const inOrder = <K, V>(ids: readonly K[], map: Map<K, V>, missing: V) => ids.map((id) => map.get(id) ?? missing);

  /** Includes deleted keys: an actor that was a key keeps its name in history. Org-scoped. */
  const keyActors = new RequestLoader<string, KeyActor | null>(async (ids) => {
    const rows: KeyActor[] = await dataSource.query('SELECT id, name, prefix FROM api_keys WHERE org_id = $1 AND id = ANY($2::uuid[])', [
      orgId,
      ids,
    ]);
    return inOrder(ids, new Map(rows.map((r) => [r.id, r])), null);
  });

  /** Includes deleted keys, for the same reason. Org-scoped. */
  const apiKeys = new DataLoader<string, ApiKey | null>(async (ids) => {
    const rows = await dataSource.getRepository(ApiKey).findBy({ id: In([...ids]), orgId });
    return inOrder(ids, new Map(rows.map((r) => [r.id, r])), null);
  });

  const requestCounts = new RequestLoader<string, number>(async (ids) => {
    const rows: { api_key_id: string; total: string }[] = await dataSource.query(
      'SELECT api_key_id, sum(requests)::bigint AS total FROM api_key_usage WHERE api_key_id = ANY($1::uuid[]) GROUP BY api_key_id',
      [ids],
    );
    return inOrder(ids, new Map(rows.map((r) => [r.api_key_id, Number(r.total)])), 0);
  });

  /** When the rotated-out secret of a key in a rotation grace period stops working. */
  const graceEnds = new DataLoader<string, Date | null>(async (ids) => {
    const rows: { api_key_id: string; ends_at: Date }[] = await dataSource.query(
      'SELECT api_key_id, max(ends_at) AS ends_at FROM api_key_secrets WHERE api_key_id = ANY($1::uuid[]) AND ends_at > now() GROUP BY api_key_id',
      [ids],
    );
    return inOrder(ids, new Map(rows.map((r) => [r.api_key_id, r.ends_at])), null);
  });

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

  /**
   * Who made or revoked something: a person (the members feature's `users`) or a key; the name only
   * for readers of the actor's resource. At once when a list page primed the person or key.
   */
  function actor(kind: PrincipalKind | null, id: string | null): Actor | null | Promise<Actor | null> {
    if (!kind || !id) return null;
    if (kind === 'USER') {
      return thenOrNow(
        (loaders as unknown as MemberLoaders).users.get(id),
        (user) => user && { kind: PrincipalKindEnum.USER, id, name: visibleActorName(access, 'USER', user.email, principal.permissions) },
      );
    }
    return thenOrNow(
      keyActors.get(id),
      (key) =>
        key && {
          kind: PrincipalKindEnum.API_KEY,
          id,
          name: visibleActorName(access, 'API_KEY', `${key.name} (${key.prefix})`, principal.permissions),
        },
    );
  }

  return { keyActors, apiKeys, requestCounts, graceEnds, usage, actor };
}

export type ApiKeyLoaders = ReturnType<typeof apiKeyLoaders>;
