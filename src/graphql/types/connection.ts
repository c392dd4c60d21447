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

export function toConnection<T>(page: Page<T>): ConnectionShape<T> {
  const { nodes } = page;
  const last = nodes.length - 1;
  // Getters: edges and cursors are built only when the operation selects them.
  return {
    nodes,
    get edges() {
      return nodes.map((node, i) => ({
        get cursor() {
          return page.cursor(i);
        },
        node,
      }));
    },
    pageInfo: {
      hasNextPage: page.hasNextPage,
      get endCursor() {
        return last >= 0 ? page.cursor(last) : null;
      },
      hasPreviousPage: page.hasPreviousPage ?? false,
      get startCursor() {
        return last >= 0 ? page.cursor(0) : null;
      },
    },
    get totalCount() {
      return page.totalCount();
    },
  };
}
