import { isUuid } from '../kernel/ids';
import { BadUserInputError } from '../kernel/errors';

/**
 * Keyset pagination: what a page is, its arguments, sizes and cursors. Cursors are opaque
 * base64url of the order's value and the id, so a page never shifts when rows are added in front
 * of it (offsets would). db/sql-page.ts is the one paginator that runs pages.
 */
export const MAX_PAGE_SIZE = 100;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

/** Pages that can also be walked backwards: `last` items `before` a cursor. */
export interface BidirectionalPageArgs extends PageArgs {
  last?: number | null;
  before?: string | null;
}

export interface Page<T> {
  nodes: T[];
  /** The cursor of `nodes[index]`, encoded only when a client selects it. */
  cursor: (index: number) => string;
  hasNextPage: boolean;
  /** Backward pages know it; a forward page has one exactly when it started after a cursor. */
  hasPreviousPage?: boolean;
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

export function pageSize(first: number | null | undefined, fallback: number, field = 'first', min = 1): number {
  const size = first ?? fallback;
  if (!Number.isInteger(size) || size < min || size > MAX_PAGE_SIZE) {
    throw new BadUserInputError({ [field]: `${field} must be between ${min} and ${MAX_PAGE_SIZE}.` });
  }
  return size;
}

/** A list's order: an entity property (a column), its direction, and whether it can be NULL. */
export interface ListOrder {
  /** The entity property, e.g. `lastUsedAt`; `id` breaks ties. */
  property: string;
  direction: 'ASC' | 'DESC';
  nullable: boolean;
  /** How the property's values go into a cursor and back. */
  kind: 'date' | 'text';
}

type CursorValue = string | null;

export function encodeOrderedCursor(order: ListOrder, value: unknown, id: string): string {
  const v = value == null ? null : value instanceof Date ? value.toISOString() : String(value);
  return Buffer.from(JSON.stringify([order.property, v, id])).toString('base64url');
}

export function decodeOrderedCursor(order: ListOrder, cursor: string, field: string): { value: CursorValue | Date; id: string } {
  try {
    const [property, v, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, CursorValue, string];
    if (property !== order.property || !isUuid(id) || (v !== null && typeof v !== 'string') || (v === null && !order.nullable)) {
      throw new Error('bad cursor');
    }
    if (v === null || order.kind === 'text') return { value: v, id };
    const at = new Date(v);
    const year = at.getUTCFullYear();
    if (Number.isNaN(at.getTime()) || year < 1970 || year > 9999) throw new Error('bad cursor');
    return { value: at, id };
  } catch {
    throw new BadUserInputError({ [field]: `Invalid cursor: pass a cursor from a previous page of this same ordering.` });
  }
}
