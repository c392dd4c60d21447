import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { NotFoundError } from '../kernel/errors';
import { isUuid } from '../kernel/ids';

/**
 * Loads one row of the organization `orgId` (always the caller's) by id, or throws NOT_FOUND. An id of another
 * organization, a deleted row and a malformed id all give the same answer, so ids leak nothing.
 * `lock` takes a row lock for the rest of the transaction (read-modify-write).
 */
export async function findOrgRow<T extends ObjectLiteral>(
  m: EntityManager,
  entity: EntityTarget<T>,
  orgId: string,
  id: string,
  options: { what: string; lock?: boolean; where?: string; relations?: string[] },
): Promise<T> {
  if (!isUuid(id)) throw new NotFoundError(options.what);
  const qb = m.getRepository(entity).createQueryBuilder('row').where('row.id = :id AND row.orgId = :orgId', { id, orgId });
  if (options.where) qb.andWhere(options.where);
  if (options.lock) qb.setLock('pessimistic_write');
  const row = await qb.getOne();
  if (!row) throw new NotFoundError(options.what);
  return row;
}
