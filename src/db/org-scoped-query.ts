import type { DataSource } from 'typeorm';

/**
 * SQL we write ourselves for hot list reads, with the organization scope in one place: a query
 * starts as `<alias>.org_id = $1` with the caller's organization and only ever adds conditions
 * (ANDed), so no filter, cursor or join can widen it. Values go in as parameters, never as text.
 */
export class OrgScopedQuery {
  private readonly params: unknown[];
  private readonly conditions: string[];

  /**
   * @param from  the table and its alias, e.g. `api_keys k`
   * @param alias the alias whose `org_id` is the caller's organization
   */
  constructor(
    readonly from: string,
    readonly alias: string,
    orgId: string,
  ) {
    this.params = [orgId];
    this.conditions = [`${alias}.org_id = $1`];
  }

  /** The placeholder of the organization, for joins that must stay inside it too. */
  get orgParam(): string {
    return '$1';
  }

  /** Adds a value and returns its placeholder (`$n`). */
  param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  /** ANDs a condition; build it with `param()` for every value. */
  where(condition: string): this {
    this.conditions.push(`(${condition})`);
    return this;
  }

  /** A copy, so a page's cursor condition does not reach its count. */
  clone(): OrgScopedQuery {
    const copy = Object.create(OrgScopedQuery.prototype) as OrgScopedQuery;
    Object.assign(copy, { from: this.from, alias: this.alias, params: [...this.params], conditions: [...this.conditions] });
    return copy;
  }

  /** `SELECT <select> FROM <from> <joins> WHERE <scope and conditions> <tail>`. */
  sql(select: string, joins = '', tail = ''): { text: string; values: unknown[] } {
    return { text: `SELECT ${select} FROM ${this.from} ${joins} WHERE ${this.conditions.join(' AND ')} ${tail}`, values: this.params };
  }

  run<R>(dataSource: DataSource, select: string, joins = '', tail = ''): Promise<R[]> {
    const { text, values } = this.sql(select, joins, tail);
    return dataSource.query(text, values);
  }

  async count(dataSource: DataSource): Promise<number> {
    const rows = await this.run<{ n: number }>(dataSource, 'count(*)::int AS n');
    return rows[0].n;
  }
}
