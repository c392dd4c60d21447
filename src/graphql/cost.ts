import { getArgumentValues, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { Extensions } from 'type-graphql';
import { MAX_PAGE_SIZE } from '../db/pagination';
import { analyzeDocument } from './analysis/document-analysis';
import { foldSelections, type Fold } from './analysis/selection-walk';

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

/** The values a field fixes for its subtree (a stats window's bucket count), in scope below it. */
type Scope = Readonly<Record<string, number>>;

/**
 * What one operation costs, following the work it causes: every field costs 1, and a list costs
 * its items times what is selected in each. Items are what the field declares (`@Cost`: a stats
 * `series` costs its bucket count), else `first` (at most MAX_PAGE_SIZE; beyond it the resolver
 * refuses) or `days`. Lists without a size count once: they are bounded per organization and
 * loaded in one statement. Introspection costs 1 per root field. Folded by the document walker,
 * fragments once per scope they appear under (a stats range), so this is linear as well.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): number {
  const fold: Fold<number, Scope> = {
    strict: true,
    empty: 0,
    merge: (a, b) => a + b,
    contextKey: (scope) => JSON.stringify(scope),
    field: ({ node, definition }, scope, below) => {
      const name = node.name.value;
      if (name === '__typename') return 0;
      if (name.startsWith('__')) return 1;
      if (!definition) throw new Error(`unknown field ${name}`);
      const args = getArgumentValues(definition, node, variables);
      const declared = costOf(definition);
      const children = below(declared?.sets ? { ...scope, ...declared.sets(args) } : scope);
      return 1 + itemsOf(args, declared, scope) * children;
    },
  };
  const root = schema.getRootType(operation.operation);
  if (!root) throw new Error(`no ${operation.operation} type`);
  return foldSelections(analyzeDocument(schema, document).walk, operation.selectionSet, root, fold, {});
}

function itemsOf(args: Record<string, unknown>, declared: FieldCost | undefined, scope: Scope): number {
  if (declared?.items) return Math.max(1, declared.items(args, scope));
  const size = typeof args.first === 'number' ? args.first : args.last;
  if (typeof size === 'number') return Math.min(Math.max(1, size), MAX_PAGE_SIZE);
  if (typeof args.days === 'number') return Math.max(1, args.days);
  return 1;
}

/**
 * An operation without variables costs the same every time: its cost is kept with the document's
 * analysis (Apollo reuses one DocumentNode per query text), so it is computed once.
 */
export function operationCostCached(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): number {
  if (operation.variableDefinitions?.length) return operationCost(schema, document, operation, variables);
  const memo = analyzeDocument(schema, document).memo(operation);
  let cost = memo.get('cost') as number | undefined;
  if (cost === undefined) memo.set('cost', (cost = operationCost(schema, document, operation, {})));
  return cost;
}
