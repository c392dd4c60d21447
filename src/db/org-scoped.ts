import { QueryFailedError, type EntityManager, type EntityTarget, type ObjectLiteral } from 'typeorm';
import type { Caller } from '../auth/principal';
import { NotFoundError } from '../errors';
import { isUuid } from './pagination';

/**
 * Loads one row of the caller's organization by id, or throws NOT_FOUND. An id of another
 * organization, a deleted row and a malformed id all give the same answer, so ids leak nothing.
 * `lock` takes a row lock for the rest of the transaction (read-modify-write).
 */
export async function findOrgRow<T extends ObjectLiteral>(
  m: EntityManager,
  entity: EntityTarget<T>,
  caller: Caller,
  id: string,
  options: { what: string; lock?: boolean; where?: string; relations?: string[] },
): Promise<T> {
  if (!isUuid(id)) throw new NotFoundError(options.what);
  const qb = m
    .getRepository(entity)
    .createQueryBuilder('row')
    .where('row.id = :id AND row.orgId = :orgId', { id, orgId: caller.principal.orgId });
  if (options.where) qb.andWhere(options.where);
  if (options.lock) qb.setLock('pessimistic_write');
  const row = await qb.getOne();
  if (!row) throw new NotFoundError(options.what);
  return row;
}

/** PostgreSQL's unique_violation (23505), e.g. a taken slug or hostname. */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof QueryFailedError && (error as QueryFailedError & { code?: string }).code === '23505';
}
