import { Field, Int, ObjectType, registerEnumType, type ClassType } from 'type-graphql';
import type { Page } from '../../db/pagination';

@ObjectType()
export class PageInfo {
  @Field() hasNextPage: boolean;
  @Field(() => String, { nullable: true }) endCursor: string | null;
  @Field({ description: 'Paging backward (last/before): whether items come before this page; forward: whether it started after a cursor.' })
  hasPreviousPage: boolean;
  @Field(() => String, { nullable: true }) startCursor: string | null;
}

export enum OrderDirection {
  ASC = 'ASC',
  DESC = 'DESC',
}
registerEnumType(OrderDirection, { name: 'OrderDirection' });

export interface ConnectionShape<T> {
  nodes: T[];
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfo;
  /** A getter, so the count query runs only when a client selects totalCount. */
  readonly totalCount: Promise<number>;
}

/** `XConnection { nodes, edges { cursor node }, pageInfo, totalCount }` for a node type. */
export function Connection<T extends object>(node: ClassType<T>, name = node.name) {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field() cursor: string;
    @Field(() => node) node: T;
  }

  @ObjectType(`${name}Connection`)
  class ConnectionType {
    @Field(() => [node]) nodes: T[];
    @Field(() => [Edge]) edges: Edge[];
    @Field(() => PageInfo) pageInfo: PageInfo;
    @Field(() => Int) totalCount: number;
  }
  return ConnectionType;
}

/**
 * A page as its connection. Classes, not object literals with getters: a literal's getters are new
 * closures each time, so V8 keeps each such object in dictionary mode with accessor pairs of its
 * own, which it makes in old space. Dead, those pairs still pointed at the page until the next full
 * collection, and every scavenge copied the page's rows into old space (docs/hot-path.md,
 * "Garbage"). Getters on a prototype are shared; the page rides in a field.
 */
export function toConnection<T>(page: Page<T>): ConnectionShape<T> {
  return new PageConnection(page);
}

/** Edges, cursors and the count are computed only when the operation selects them. */
class PageConnection<T> implements ConnectionShape<T> {
  readonly nodes: T[];
  readonly pageInfo: PageInfo;

  constructor(private readonly page: Page<T>) {
    this.nodes = page.nodes;
    this.pageInfo = new PageCursors(page);
  }

  get edges(): { cursor: string; node: T }[] {
    return this.nodes.map((node, i) => new PageEdge(this.page, i, node));
  }

  get totalCount(): Promise<number> {
    return this.page.totalCount();
  }
}

class PageCursors<T> implements PageInfo {
  readonly hasNextPage: boolean;
  readonly hasPreviousPage: boolean;

  constructor(private readonly page: Page<T>) {
    this.hasNextPage = page.hasNextPage;
    this.hasPreviousPage = page.hasPreviousPage ?? false;
  }

  get endCursor(): string | null {
    const last = this.page.nodes.length - 1;
    return last >= 0 ? this.page.cursor(last) : null;
  }

  get startCursor(): string | null {
    return this.page.nodes.length > 0 ? this.page.cursor(0) : null;
  }
}

class PageEdge<T> {
  constructor(
    private readonly page: Page<T>,
    private readonly index: number,
    readonly node: T,
  ) {}

  get cursor(): string {
    return this.page.cursor(this.index);
  }
}
