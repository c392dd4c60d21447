import type { DataSource } from 'typeorm';
import type { Principal } from '../auth/principal';
import type { AccessModel } from '../kernel/access';
import type { Related } from './list-relations';

/** What a feature's per-request loaders are made from. */
export interface LoaderContext {
  dataSource: DataSource;
  principal: Pick<Principal, 'orgId' | 'permissions'>;
  access: AccessModel;
  /**
   * Every loader of the request, by name, for a loader that builds on another feature's (an
   * actor's name is a user's email or a key's name). Read it when loading, not when building:
   * the features are built in module order.
   */
  loaders: Readonly<Record<string, unknown>>;
}

/** A request's loaders: every feature's, and `prime`, which files a list page's related rows into them. */
export type RequestLoaders = Record<string, unknown> & { prime(related: Related): void };

/**
 * Per-request batching, from the features' loader factories: every relation reached from a list
 * costs one query per field, not one per row. Loaders are made per request, so nothing is cached
 * across principals.
 */
export function composeLoaders(factories: readonly ((ctx: LoaderContext) => object)[]) {
  return (base: Omit<LoaderContext, 'loaders'>): RequestLoaders => {
    const loaders: Record<string, unknown> = {};
    const ctx: LoaderContext = { ...base, loaders };
    for (const factory of factories) {
      for (const [name, loader] of Object.entries(factory(ctx))) {
        if (name in loaders) throw new Error(`Loader ${name} is provided twice`);
        loaders[name] = loader;
      }
    }
    loaders.prime = (related: Related) => {
      for (const [name, rows] of related.byLoader) {
        const loader = loaders[name] as { prime?(key: string, value: unknown): unknown } | undefined;
        if (!loader?.prime) throw new Error(`A list filed rows for ${name}, which no feature loads`);
        for (const [key, value] of rows) loader.prime(key, value);
      }
    };
    return loaders as RequestLoaders;
  };
}
