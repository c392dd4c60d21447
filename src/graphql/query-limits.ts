import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import { getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import { MAX_PAGE_SIZE } from '../db/pagination';
import { ErrorCode } from '../errors';

/**
 * Limits that keep one request from costing the server more than a request should. Depth and
 * aliases are validation rules (GRAPHQL_VALIDATION_FAILED, HTTP 400, before anything runs);
 * complexity is checked once the operation is known (BAD_USER_INPUT, HTTP 400). Each message
 * names the limit. Batching stays off (Apollo's default), so a request is one operation.
 */
export const MAX_DEPTH = 12;
export const MAX_ALIASES = 30;
export const MAX_COMPLEXITY = 5_000;

/** Deepest field nesting, following fragments; introspection (`__schema`, `__type`) is not counted. */
function depthOf(set: SelectionSetNode, fragments: Record<string, FragmentDefinitionNode>, seen: Set<string>): number {
  let deepest = 0;
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) {
      if (s.name.value.startsWith('__')) continue;
      deepest = Math.max(deepest, 1 + (s.selectionSet ? depthOf(s.selectionSet, fragments, seen) : 0));
    } else if (s.kind === Kind.INLINE_FRAGMENT) {
      deepest = Math.max(deepest, depthOf(s.selectionSet, fragments, seen));
    } else {
      const name = s.name.value;
      const fragment = fragments[name];
      if (!fragment || seen.has(name)) continue; // cycles are reported by graphql's own rule
      deepest = Math.max(deepest, depthOf(fragment.selectionSet, fragments, new Set([...seen, name])));
    }
  }
  return deepest;
}

export function depthLimitRule(max = MAX_DEPTH) {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(node) {
      const fragments = Object.fromEntries(
        context.getDocument().definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
      );
      const depth = depthOf(node.selectionSet, fragments, new Set());
      if (depth > max) context.reportError(new GraphQLError(`Query depth ${depth} exceeds the limit of ${max}.`, { nodes: [node], extensions: { limit: 'depth', max } }));
    },
  });
}

export function aliasLimitRule(max = MAX_ALIASES) {
  return (context: ValidationContext): ASTVisitor => {
    let aliases = 0;
    let reported = false;
    return {
      Field(node) {
        if (!node.alias) return;
        aliases++;
        if (aliases > max && !reported) {
          reported = true;
          context.reportError(new GraphQLError(`The document uses more than ${max} aliases.`, { nodes: [node], extensions: { limit: 'aliases', max } }));
        }
      },
    };
  };
}

/**
 * A list field costs its children times the number of items it may return (`first` or `days`).
 * `first` counts as at most MAX_PAGE_SIZE: beyond it the resolver refuses with a precise message.
 */
const listEstimator: ComplexityEstimator = ({ args, childComplexity }) => {
  const size = typeof args.first === 'number' ? Math.min(args.first, MAX_PAGE_SIZE) : typeof args.days === 'number' ? args.days : undefined;
  return size === undefined ? undefined : 1 + Math.max(1, size) * childComplexity;
};

export function complexityLimitPlugin(max = MAX_COMPLEXITY): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, schema }) {
          let complexity: number;
          try {
            complexity = getComplexity({
              schema,
              query: document,
              variables: request.variables,
              operationName: request.operationName,
              estimators: [listEstimator, simpleEstimator({ defaultComplexity: 1 })],
            });
          } catch {
            // Invalid variables: execution reports them as BAD_USER_INPUT before anything runs.
            return;
          }
          if (complexity > max) {
            throw new GraphQLError(`Query complexity ${complexity} exceeds the limit of ${max}; ask for fewer items (first) or fewer fields.`, {
              extensions: { code: ErrorCode.BAD_USER_INPUT, limit: 'complexity', max, complexity, http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}
