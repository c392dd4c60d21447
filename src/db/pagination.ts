import { isUuid } from '../kernel/ids';
import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { BadUserInputError } from '../kernel/errors';

/**
 * Keyset pagination, newest first, over `(created_at, id)`. Cursors are opaque base64url of
 * that pair, so a page never shifts when rows are added in front of it (offsets would).
 */
export const MAX_PAGE_SIZE = 100;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface Page<T> {
  nodes: T[];
  cursors: string[];
  hasNextPage: boolean;
  /** Counted only when a client asks for it. */
  totalCount: () => Promise<number>;
}

export function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}

export function decodeCursor(cursor: string, field = 'after'): { createdAt: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const createdAt = new Date(at);
    // Cursors we issue hold row timestamps; anything outside what PostgreSQL stores is forged.
    const year = createdAt.getUTCFullYear();
    if (Number.isNaN(createdAt.getTime()) || year < 1970 || year > 9999 || !isUuid(id)) throw new Error('bad cursor');
    return { createdAt, id };
  } catch {
    throw new BadUserInputError({ [field]: 'Invalid cursor: pass an endCursor from a previous page.' });
  }
}

export function pageSize(first: number | null | undefined, fallback: number): number {
  const size = first ?? fallback;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new BadUserInputError({ first: `first must be between 1 and ${MAX_PAGE_SIZE}.` });
  }
  return size;
}

/** Runs one page of `qb` (already filtered and scoped) ordered newest first. */
export async function keysetPage<T extends ObjectLiteral & { createdAt: Date; id: string }>(
  qb: SelectQueryBuilder<T>,
  args: PageArgs,
  defaultSize: number,
): Promise<Page<T>> {
  const size = pageSize(args.first, defaultSize);
  const alias = qb.alias;
  const countQb = qb.clone();
  const pageQb = qb.clone();
  if (args.after) {
    const c = decodeCursor(args.after);
    pageQb.andWhere(`(${alias}.createdAt, ${alias}.id) < (:cursorAt, :cursorId)`, { cursorAt: c.createdAt, cursorId: c.id });
  }
  const rows = await pageQb
    .orderBy(`${alias}.createdAt`, 'DESC')
    .addOrderBy(`${alias}.id`, 'DESC')
    .limit(size + 1)
    .getMany();
  const nodes = rows.slice(0, size);
  let total: Promise<number> | undefined;
  return {
    nodes,
    cursors: nodes.map((n) => encodeCursor(n.createdAt, n.id)),
    hasNextPage: rows.length > size,
    totalCount: () => (total ??= countQb.getCount()),
  };
}
