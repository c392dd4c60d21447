import type { ApolloServerPlugin } from '@apollo/server';
import {
  getArgumentValues,
  getNamedType,
  getVariableValues,
  GraphQLError,
  isInterfaceType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { Extensions } from 'type-graphql';
import { MAX_PAGE_SIZE } from '../db/pagination';
import { ErrorCode } from '../kernel/errors';

/** What one operation may cost (see operationCost); each refusal names the limit. */
export const MAX_COMPLEXITY = 5_000;

/**
 * How a field costs, declared by the module that owns it (`@Cost(...)`), so the cost model knows
 * no module: `items` is how many elements a list field returns, given its arguments and the
 * values its ancestors set; `sets` gives values for its subtree (a stats field fixes how many
 * buckets its `series` holds). Lists without either cost their `first` or `days`, or once.
 */
export interface FieldCost {
  items?: (args: Record<string, unknown>, scope: Readonly<Record<string, number>>) => number;
  sets?: (args: Record<string, unknown>) => Record<string, number>;
}
const COST_EXTENSION = 'keygateCost';

/** A connection whose page size defaults in its resolver (no `first` default in the schema, so `last` can be given alone). */
export function pageCost(defaultSize: number): FieldCost {
  return {
    items: (args) => {
      const size = typeof args.first === 'number' ? args.first : typeof args.last === 'number' ? args.last : defaultSize;
      return Math.min(Math.max(1, size), MAX_PAGE_SIZE);
    },
  };
}

export function Cost(cost: FieldCost) {
  return Extensions({ [COST_EXTENSION]: cost });
}

function costOf(field: { extensions?: Readonly<Record<string, unknown>> | null }): FieldCost | undefined {
  return field.extensions?.[COST_EXTENSION] as FieldCost | undefined;
}

/**
 * What one operation costs, following the work it causes: every field costs 1, and a list costs
 * its items times what is selected in each. Items are what the field declares (`@Cost`: a stats
 * `series` costs its bucket count), else `first` (at most MAX_PAGE_SIZE; beyond it the resolver
 * refuses) or `days`. Lists without a size count once: they are bounded per organization and
 * loaded in one statement. Introspection costs 1 per root field. Fragments are costed once per
 * scope they appear under (a stats range), so this is linear as well.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const memo = new Map<string, number>();
  const inProgress = new Set<string>();

  type Scope = Readonly<Record<string, number>>;
  const fragmentCost = (name: string, scope: Scope): number => {
    const key = `${name}|${JSON.stringify(scope)}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const fragment = fragments.get(name);
    if (!fragment || inProgress.has(key)) throw new Error(`fragment ${name} cannot be costed`);
    const type = schema.getType(fragment.typeCondition.name.value);
    if (!type) throw new Error(`unknown type ${fragment.typeCondition.name.value}`);
    inProgress.add(key);
    const cost = setCost(fragment.selectionSet, type, scope);
    inProgress.delete(key);
    memo.set(key, cost);
    return cost;
  };

  const setCost = (set: SelectionSetNode, parent: GraphQLNamedType, scope: Scope): number => {
    let cost = 0;
    for (const s of set.selections) {
      if (s.kind === Kind.INLINE_FRAGMENT) {
        const type = s.typeCondition ? schema.getType(s.typeCondition.name.value) : parent;
        if (!type) throw new Error(`unknown type ${s.typeCondition?.name.value}`);
        cost += setCost(s.selectionSet, type, scope);
        continue;
      }
      if (s.kind === Kind.FRAGMENT_SPREAD) {
        cost += fragmentCost(s.name.value, scope);
        continue;
      }
      const name = s.name.value;
      if (name === '__typename') continue;
      if (name.startsWith('__')) {
        cost += 1;
        continue;
      }
      if (!isObjectType(parent) && !isInterfaceType(parent)) throw new Error(`${parent.name} has no fields`);
      const field = parent.getFields()[name];
      if (!field) throw new Error(`unknown field ${parent.name}.${name}`);
      const args = getArgumentValues(field, s, variables);
      const type = getNamedType(field.type);
      const declared = costOf(field);
      const childScope = declared?.sets ? { ...scope, ...declared.sets(args) } : scope;
      const children = s.selectionSet ? setCost(s.selectionSet, type, childScope) : 0;
      cost += 1 + itemsOf(args, declared, scope) * children;
    }
    return cost;
  };

  const root = schema.getRootType(operation.operation);
  if (!root) throw new Error(`no ${operation.operation} type`);
  return setCost(operation.selectionSet, root, {});
}

function itemsOf(args: Record<string, unknown>, declared: FieldCost | undefined, scope: Readonly<Record<string, number>>): number {
  if (declared?.items) return Math.max(1, declared.items(args, scope));
  const size = typeof args.first === 'number' ? args.first : args.last;
  if (typeof size === 'number') return Math.min(Math.max(1, size), MAX_PAGE_SIZE);
  if (typeof args.days === 'number') return Math.max(1, args.days);
  return 1;
}

/**
 * An operation without variables costs the same every time: its cost is kept with its parsed
 * node (Apollo reuses one DocumentNode per query text), so it is computed once.
 */
const constantCosts = new WeakMap<OperationDefinitionNode, number>();

function operationCostCached(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): number {
  if (operation.variableDefinitions?.length) return operationCost(schema, document, operation, variables);
  let cost = constantCosts.get(operation);
  if (cost === undefined) {
    cost = operationCost(schema, document, operation, {});
    constantCosts.set(operation, cost);
  }
  return cost;
}

export function complexityLimitPlugin(max = MAX_COMPLEXITY): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, operation, schema }) {
          if (!operation) return;
          let variables: Record<string, unknown> = {};
          if (operation.variableDefinitions?.length) {
            const coerced = getVariableValues(schema, operation.variableDefinitions, request.variables ?? {});
            // Invalid variables: execution reports them as BAD_USER_INPUT before anything runs.
            if (coerced.errors) return;
            variables = coerced.coerced;
          }
          let complexity: number;
          try {
            complexity = operationCostCached(schema, document, operation, variables);
          } catch {
            // Fail closed: an operation whose cost cannot be measured does not run.
            throw new GraphQLError('The query’s complexity could not be measured; it is refused.', {
              extensions: { code: ErrorCode.BAD_USER_INPUT, limit: 'complexity', max, http: { status: 400 } },
            });
          }
          if (!(complexity <= max)) {
            const shown = Number.isSafeInteger(complexity) ? complexity : `over ${Number.MAX_SAFE_INTEGER}`;
            throw new GraphQLError(`Query complexity ${shown} exceeds the limit of ${max}; ask for fewer items (first) or fewer fields.`, {
              extensions: {
                code: ErrorCode.BAD_USER_INPUT,
                limit: 'complexity',
                max,
                complexity: Number.isSafeInteger(complexity) ? complexity : null,
                http: { status: 400 },
              },
            });
          }
        },
      };
    },
  };
}
