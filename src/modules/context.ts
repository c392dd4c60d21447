import type { Related } from '../core/list-relations';
import type { GraphQLContext } from '../graphql/context';

/**
 * A resolver's context: the services and the per-request loaders it names (so a resolver states
 * what it depends on, and no file needs the whole service graph or every feature's loaders).
 * `prime` files a list page's related rows into the loaders.
 */
export type ModuleContext<Services, Loaders = object> = GraphQLContext<Services, Loaders & { prime(related: Related): void }>;
