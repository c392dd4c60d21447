import type { DataSource, ObjectLiteral } from 'typeorm';

type Row = Record<string, unknown>;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * How one entity's columns are selected under an alias and turned back into the entity, without
 * TypeORM's query builder or hydration. The columns come from the entity's metadata (so they
 * never drift from it), each selected as `"<alias>.<property>"`; the object built has the
 * entity's prototype, so its getters (`status`, `maskedKey` …) and field resolvers work as on a
 * loaded entity. Column transformers (bigint counters) are applied as TypeORM would.
 */
export class RowShape<T extends ObjectLiteral> {
  private static readonly made = new WeakMap<object, Map<string, RowShape<ObjectLiteral>>>();

  /**
   * The shape of `entity` under `alias`, made once per data source. Kept by the data source's
   * driver: a request's budgeted view of the data source (db/request-budget.ts) is a new object
   * per request with the app's driver, and a shape made per request cost 70 µs of an apiKeys page.
   */
  static of<T extends ObjectLiteral>(dataSource: DataSource, entity: { prototype: T; name: string }, alias: string): RowShape<T> {
    let shapes = RowShape.made.get(dataSource.driver);
    if (!shapes) RowShape.made.set(dataSource.driver, (shapes = new Map()));
    const id = `${entity.name}|${alias}`;
    let shape = shapes.get(id);
    if (!shape) shapes.set(id, (shape = new RowShape(dataSource, entity, alias)));
    return shape as unknown as RowShape<T>;
  }

  /** `k.org_id AS "k.orgId", …` for a SELECT list. */
  readonly select: string;
  private readonly idKey: string;
  private readonly build: (row: Row, prototype: object, transforms: ((value: unknown) => unknown)[]) => T;
  private readonly transforms: ((value: unknown) => unknown)[] = [];

  constructor(
    dataSource: DataSource,
    private readonly entity: { prototype: T; name: string },
    alias: string,
  ) {
    // Virtual relation columns (a @ManyToOne without its own @Column) are not properties here.
    const columns = dataSource.getMetadata(entity as never).columns.filter((c) => !c.isVirtual);
    // Code and SQL are written from these names below; they come from entity metadata (code, never
    // input or a row), and a name outside plain identifiers is refused rather than quoted.
    for (const name of [alias, ...columns.flatMap((c) => [c.propertyName, c.databaseName])]) {
      if (!IDENTIFIER.test(name)) throw new Error(`RowShape: ${JSON.stringify(name)} is not a plain identifier.`);
    }
    this.select = columns.map((c) => `${alias}.${c.databaseName} AS "${alias}.${c.propertyName}"`).join(', ');
    this.idKey = `${alias}.id`;
    // One function per shape, written out property by property: every object it builds gets the
    // same hidden class, and each read and write is a named one. A loop over the columns with
    // computed keys was 3 % of a list request's busy time. The names come from entity metadata
    // (code, never input), quoted with JSON.stringify.
    const assignments = columns.map((c) => {
      const read = `row[${JSON.stringify(`${alias}.${c.propertyName}`)}]`;
      const transformer = Array.isArray(c.transformer) ? undefined : c.transformer;
      if (!transformer) return `out[${JSON.stringify(c.propertyName)}] = ${read};`;
      const index = this.transforms.push((v) => transformer.from(v)) - 1;
      return `v = ${read}; out[${JSON.stringify(c.propertyName)}] = v != null ? transforms[${index}](v) : v;`;
    });
    // eslint-disable-next-line no-new-func -- reviewed: identifiers checked above, values never enter the source.
    this.build = new Function(
      'row',
      'prototype',
      'transforms',
      `let v; const out = Object.create(prototype); ${assignments.join(' ')} return out;`,
    ) as never;
  }

  /** The entity in `row`, or null when its id is null (nothing matched a LEFT JOIN). */
  from(row: Row): T | null {
    if (row[this.idKey] == null) return null;
    return this.build(row, this.entity.prototype, this.transforms);
  }
}
