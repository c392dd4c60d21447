import type { GraphQLRequestContextDidResolveOperation } from '@apollo/server';
import type { GraphQLContext } from '../context';

/** What a stage sees: Apollo's request once it has parsed, validated and resolved the operation. */
export type StageRequest = GraphQLRequestContextDidResolveOperation<GraphQLContext>;

/**
 * One check made before anything runs. It returns to let the request go on, or throws the
 * GraphQLError that answers it; pipeline.ts runs the stages one after the other, in its order.
 */
export type Stage = (request: StageRequest) => void;
