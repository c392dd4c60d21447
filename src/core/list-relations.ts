type Row = Record<string, unknown>;

/**
 * Rows a list page read beside its own, for other fields (a link's domain, a key's creator),
 * filed by the name of the request loader that would otherwise load each: primed into the
 * request's loaders (core/loaders.ts), so those fields' resolvers find them without a query.
 */
export class Related {
  readonly byLoader = new Map<string, [key: string, value: unknown][]>();

  add(loader: string, key: string, value: unknown): void {
    let rows = this.byLoader.get(loader);
    if (!rows) this.byLoader.set(loader, (rows = []));
    rows.push([key, value]);
  }

  /** What was filed for one loader (tests and callers that read a page's relations directly). */
  of<T>(loader: string): [key: string, value: T][] {
    return (this.byLoader.get(loader) ?? []) as [string, T][];
  }
}

/**
 * A relation folded into a list's page query: its columns, its LEFT JOIN (on a primary key, so it
 * never multiplies rows) and how to take its rows out of each result row. A feature writes the
 * folds over its own tables (members/user.fold.ts, …); joins to org-owned tables repeat the
 * organization condition, so nothing of another organization can come back.
 */
export interface Fold {
  select: string;
  joins: string;
  collect(row: Row, into: Related): void;
}

/** A page query's SELECT list and joins with `folds` added, and a row mapper that also collects their rows. */
export function withFolds<T>(
  select: string,
  folds: Fold[],
  map: (row: Row) => T,
): { select: string; joins: string; map: (row: Row) => T; related: Related } {
  const related = new Related();
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
