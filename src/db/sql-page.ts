import type { DataSource } from 'typeorm';
import { BadUserInputError } from '../kernel/errors';
import type { OrgScopedQuery } from './org-scoped-query';
import {
  decodeCursor,
  decodeOrderedCursor,
  encodeCursor,
  encodeOrderedCursor,
  pageSize,
  type BidirectionalPageArgs,
  type ListOrder,
  type Page,
} from './pagination';

/** A list read in SQL we own: rows mapped straight onto the GraphQL objects, no ORM in between. */
export interface SqlList<T> {
  /** Scoped to the caller's organization and filtered; the count runs on it as it is. */
  query: OrgScopedQuery;
  /** The page's columns, joined ones included. */
  select: string;
  /** Joins that only feed the page (related rows folded into it), never the count. */
  joins?: string;
  /** The order's SQL column, e.g. `k.last_used_at`. */
  column: string;
  map: (row: Record<string, unknown>) => T;
}

type Row = { id: string };

/**
 * Keyset pagination in any order over one column plus `id`, both ways: `first`/`after` walks
 * forward, `last`/`before` backward (the order reversed, then the page put back in order). NULLs
 * (never used, never expires) come last whatever the direction. `first: 0` asks only for
 * pageInfo and totalCount. The cursor names its ordering, so one from another ordering is refused.
 */
export async function orderedSqlPage<T extends Row>(
  dataSource: DataSource,
  list: SqlList<T>,
  args: BidirectionalPageArgs,
  order: ListOrder,
  defaultSize: number,
): Promise<Page<T>> {
  const backward = args.last != null || args.before != null;
  if (backward && (args.first != null || args.after != null)) {
    throw new BadUserInputError({ last: 'Page forward (first, after) or backward (last, before), not both.' });
  }
  const size = backward ? pageSize(args.last, defaultSize, 'last', 0) : pageSize(args.first, defaultSize, 'first', 0);
  const cursor = backward ? args.before : args.after;
  const decoded = cursor ? decodeOrderedCursor(order, cursor, backward ? 'before' : 'after') : null;
  const { nodes, more, total } = await runPage(dataSource, list, size, order, backward, decoded);
  return {
    nodes,
    cursor: (i) => encodeOrderedCursor(order, (nodes[i] as Record<string, unknown>)[order.property], nodes[i].id),
    hasNextPage: backward ? Boolean(args.before) : more,
    hasPreviousPage: backward ? more : Boolean(args.after),
    totalCount: total,
  };
}

/** Newest first over `(created_at, id)`, forward only, with the `[createdAt, id]` cursors of `keysetPage`. */
export async function newestFirstSqlPage<T extends Row & { createdAt: Date }>(
  dataSource: DataSource,
  list: SqlList<T>,
  args: { first?: number | null; after?: string | null },
  defaultSize: number,
): Promise<Page<T>> {
  const size = pageSize(args.first, defaultSize);
  const order: ListOrder = { property: 'createdAt', direction: 'DESC', nullable: false, kind: 'date' };
  const c = args.after ? decodeCursor(args.after) : null;
  const { nodes, more, total } = await runPage(dataSource, list, size, order, false, c && { value: c.createdAt, id: c.id });
  return {
    nodes,
    cursor: (i) => encodeCursor(nodes[i].createdAt, nodes[i].id),
    hasNextPage: more,
    hasPreviousPage: Boolean(args.after),
    totalCount: total,
  };
}

async function runPage<T extends Row>(
  dataSource: DataSource,
  list: SqlList<T>,
  size: number,
  order: ListOrder,
  backward: boolean,
  cursor: { value: string | Date | null; id: string } | null,
): Promise<{ nodes: T[]; more: boolean; total: () => Promise<number> }> {
  const countQuery = list.query.clone();
  const q = list.query.clone();
  const alias = q.alias;
  // Walking backward is walking forward in the reversed order, NULLs then first.
  const direction = backward ? (order.direction === 'ASC' ? 'DESC' : 'ASC') : order.direction;
  const nullsLast = !backward;
  const col = list.column;
  if (cursor) {
    const cmp = direction === 'ASC' ? '>' : '<';
    const id = q.param(cursor.id);
    const tie = `${alias}.id ${cmp} ${id}`;
    if (cursor.value === null) q.where(nullsLast ? `${col} IS NULL AND ${tie}` : `${col} IS NOT NULL OR (${col} IS NULL AND ${tie})`);
    else {
      // A row-value comparison, not "col > v OR (col = v AND id > x)": PostgreSQL turns it into
      // one index range, so page 500 costs what page 1 does.
      const beyond = `(${col}, ${alias}.id) ${cmp} (${q.param(cursor.value)}, ${id})`;
      q.where(nullsLast && order.nullable ? `${beyond} OR ${col} IS NULL` : beyond);
    }
  }
  const nulls = order.nullable ? (nullsLast ? ' NULLS LAST' : ' NULLS FIRST') : '';
  const rows = await q.run<Record<string, unknown>>(
    dataSource,
    list.select,
    list.joins,
    `ORDER BY ${col} ${direction}${nulls}, ${alias}.id ${direction} LIMIT ${size + 1}`,
  );
  const more = rows.length > size;
  const nodes = rows.slice(0, size).map(list.map);
  if (backward) nodes.reverse();
  let total: Promise<number> | undefined;
  return { nodes, more, total: () => (total ??= countQuery.count(dataSource)) };
}
