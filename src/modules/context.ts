import type { GraphQLContext } from '../graphql/context';
import type { Loaders } from './loaders';

/**
 * A resolver's context: the services it names (so a resolver states what it depends on, and no
 * file needs the whole service graph) and the per-request loaders.
 */
export type ModuleContext<Services> = GraphQLContext<Services, Loaders>;
