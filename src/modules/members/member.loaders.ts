import { RequestLoader } from '../../core/request-loader';
import DataLoader from 'dataloader';
import { In } from 'typeorm';
import type { LoaderContext } from '../../core/loaders';
import { RowShape } from '../../db/row-shape';
import { Membership } from './membership.entity';
import { User } from './user.entity';

/** The people of a request: users by id, memberships of the caller's organization, and its owner count. */
export function memberLoaders({ dataSource, principal }: LoaderContext) {
  const { orgId } = principal;
  const userShape = RowShape.of(dataSource, User, 'u');
  const users = new RequestLoader<string, User | null>(async (ids) => {
    const rows: Record<string, unknown>[] = await dataSource.query(`SELECT ${userShape.select} FROM users u WHERE u.id = ANY($1::uuid[])`, [
      ids,
    ]);
    const byId = new Map(rows.map((r) => userShape.from(r)!).map((u) => [u.id, u]));
    return ids.map((id) => byId.get(id) ?? null);
  });

  /** The caller's organization's membership of each user id. */
  const memberships = new DataLoader<string, Membership | null>(async (userIds) => {
    const rows = await dataSource.getRepository(Membership).findBy({ orgId, userId: In([...userIds]) });
    const map = new Map(rows.map((r) => [r.userId, r]));
    return userIds.map((id) => map.get(id) ?? null);
  });

  /** How many owners the caller's organization has (the last-owner rule), asked once per request. */
  let owners: Promise<number> | undefined;
  const ownerCount = () =>
    (owners ??= dataSource
      .query("SELECT count(*)::int AS n FROM memberships WHERE org_id = $1 AND role = 'OWNER'", [orgId])
      .then((rows: { n: number }[]) => rows[0].n));

  return { users, memberships, ownerCount };
}

export type MemberLoaders = ReturnType<typeof memberLoaders>;
