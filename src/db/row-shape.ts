import type { DataSource, ObjectLiteral } from 'typeorm';

type Row = Record<string, unknown>;

/**
 * How one entity's columns are selected under an alias and turned back into the entity, without
 * TypeORM's query builder or hydration. The columns come from the entity's metadata (so they
 * never drift from it), each selected as `"<alias>.<property>"`; the object built has the
 * entity's prototype, so its getters (`status`, `maskedKey` …) and field resolvers work as on a
 * loaded entity. Column transformers (bigint counters) are applied as TypeORM would.
 */
export class RowShape<T extends ObjectLiteral> {
  private static readonly made = new WeakMap<DataSource, Map<string, RowShape<ObjectLiteral>>>();

  /** The shape of `entity` under `alias`, made once per data source. */
  static of<T extends ObjectLiteral>(dataSource: DataSource, entity: { prototype: T; name: string }, alias: string): RowShape<T> {
    let shapes = RowShape.made.get(dataSource);
    if (!shapes) RowShape.made.set(dataSource, (shapes = new Map()));
    const id = `${entity.name}|${alias}`;
    let shape = shapes.get(id);
    if (!shape) shapes.set(id, (shape = new RowShape(dataSource, entity, alias)));
    return shape as unknown as RowShape<T>;
  }

  /** `k.org_id AS "k.orgId", …` for a SELECT list. */
  readonly select: string;
  private readonly idKey: string;
  private readonly columns: { property: string; key: string; from?: (value: unknown) => unknown }[];

  constructor(
    dataSource: DataSource,
    private readonly entity: { prototype: T; name: string },
    alias: string,
  ) {
    // Virtual relation columns (a @ManyToOne without its own @Column) are not properties here.
    const columns = dataSource.getMetadata(entity as never).columns.filter((c) => !c.isVirtual);
    this.columns = columns.map((c) => {
      const transformer = Array.isArray(c.transformer) ? undefined : c.transformer;
      return { property: c.propertyName, key: `${alias}.${c.propertyName}`, from: transformer && ((v: unknown) => transformer.from(v)) };
    });
    this.select = columns.map((c) => `${alias}.${c.databaseName} AS "${alias}.${c.propertyName}"`).join(', ');
    this.idKey = `${alias}.id`;
  }

  /** The entity in `row`, or null when its id is null (nothing matched a LEFT JOIN). */
  from(row: Row): T | null {
    if (row[this.idKey] == null) return null;
    const out = Object.create(this.entity.prototype) as Record<string, unknown>;
    for (const c of this.columns) {
      const value = row[c.key];
      out[c.property] = c.from && value != null ? c.from(value) : value;
    }
    return out as T;
  }
}
