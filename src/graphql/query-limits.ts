import type { ApolloServerPlugin } from '@apollo/server';
import {
  getArgumentValues,
  getNamedType,
  getVariableValues,
  GraphQLError,
  isInterfaceType,
  isObjectType,
  Kind,
  parse,
  type ASTVisitor,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MAX_PAGE_SIZE } from '../db/pagination';
import { ErrorCode } from '../kernel/errors';
import { Extensions } from 'type-graphql';

/**
 * Limits that keep one request from costing the server more than a request should. The shape
 * of the document (depth, fragments, selections, aliases) is checked before or during validation
 * (GRAPHQL_VALIDATION_FAILED, HTTP 400, before anything runs); its cost once the operation and
 * its variables are known (BAD_USER_INPUT, HTTP 400). Each refusal names its limit in
 * `extensions.limit`. Every measurement is linear in the size of the document: a fragment is
 * measured once, however often it is spread. A limit that cannot measure a document refuses it.
 */
export const MAX_DEPTH = 12;
export const MAX_ALIASES = 30;
export const MAX_FRAGMENTS = 100;
/** Field selections once every fragment spread is expanded, summed over the document's operations. */
export const MAX_SELECTIONS = 2_000;
export const MAX_COMPLEXITY = 5_000;

export type LimitName = 'depth' | 'aliases' | 'fragments' | 'selections' | 'complexity';

interface Shape {
  /** Deepest field nesting; introspection (`__schema`, `__type`, `__typename`) is not counted. */
  depth: number;
  /** Field selections with fragments expanded (a double, so an exponential document saturates rather than wraps). */
  selections: number;
}

/**
 * Depth and expanded size of every operation, with each fragment measured once (memoised by
 * name): a fragment spread twice at each of 25 levels costs 25 measurements, not 2^25.
 */
export function measureDocument(document: DocumentNode): { operations: Map<OperationDefinitionNode, Shape>; fragments: number } {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const measured = new Map<string, Shape>();
  const inProgress = new Set<string>();

  const fragmentShape = (name: string): Shape => {
    const known = measured.get(name);
    if (known) return known;
    const fragment = fragments.get(name);
    // Unknown fragments and cycles are reported by graphql's own rules; they add nothing here.
    if (!fragment || inProgress.has(name)) return { depth: 0, selections: 0 };
    inProgress.add(name);
    const shape = setShape(fragment.selectionSet);
    inProgress.delete(name);
    measured.set(name, shape);
    return shape;
  };

  const setShape = (set: SelectionSetNode): Shape => {
    let depth = 0;
    let selections = 0;
    for (const s of set.selections) {
      let inner: Shape;
      if (s.kind === Kind.FIELD) {
        const below = s.selectionSet ? setShape(s.selectionSet) : { depth: 0, selections: 0 };
        selections += 1 + below.selections;
        if (s.name.value.startsWith('__')) continue;
        inner = { depth: 1 + below.depth, selections: 0 };
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        inner = setShape(s.selectionSet);
        selections += inner.selections;
      } else {
        inner = fragmentShape(s.name.value);
        selections += inner.selections;
      }
      depth = Math.max(depth, inner.depth);
    }
    return { depth, selections };
  };

  const operations = new Map<OperationDefinitionNode, Shape>();
  for (const d of document.definitions) if (d.kind === Kind.OPERATION_DEFINITION) operations.set(d, setShape(d.selectionSet));
  return { operations, fragments: fragments.size };
}

export interface DocumentLimits {
  depth: number;
  fragments: number;
  selections: number;
}

const DOCUMENT_LIMITS: DocumentLimits = { depth: MAX_DEPTH, fragments: MAX_FRAGMENTS, selections: MAX_SELECTIONS };

/** The first document limit `document` exceeds, as the error to answer with, or null. */
export function documentLimitsError(document: DocumentNode, limits: DocumentLimits = DOCUMENT_LIMITS): GraphQLError | null {
  const refuse = (limit: LimitName, message: string, extra: Record<string, unknown> = {}) =>
    new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit, ...extra } });
  let measured: ReturnType<typeof measureDocument>;
  try {
    measured = measureDocument(document);
  } catch {
    return refuse('selections', 'The document could not be measured against its depth and size limits; it is refused.');
  }
  if (measured.fragments > limits.fragments) {
    return refuse('fragments', `The document defines ${measured.fragments} fragments; the limit is ${limits.fragments}.`, { max: limits.fragments });
  }
  let selections = 0;
  for (const shape of measured.operations.values()) selections += shape.selections;
  if (selections > limits.selections) {
    const shown = Number.isSafeInteger(selections) ? String(selections) : `more than ${Number.MAX_SAFE_INTEGER}`;
    return refuse('selections', `The document expands to ${shown} field selections; the limit is ${limits.selections}.`, { max: limits.selections });
  }
  for (const shape of measured.operations.values()) {
    if (shape.depth > limits.depth) return refuse('depth', `Query depth ${shape.depth} exceeds the limit of ${limits.depth}.`, { max: limits.depth });
  }
  return null;
}

/**
 * Fastify hook on the GraphQL route: depth, fragment count and expanded selections are checked
 * before Apollo authenticates, parses again and validates. graphql's own validation is not
 * linear in every case (its overlapping-fields rule takes most of a second on a document of
 * 2,000 fragments before giving up with a bare "Validation aborted."), so a document over these
 * limits must not reach it. The refusal looks like any validation failure: HTTP 400,
 * GRAPHQL_VALIDATION_FAILED, the first limit exceeded in `extensions.limit`. Documents that do
 * not parse are left to Apollo, which reports the syntax error.
 */
export async function documentLimitsHook(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const source = (request.body as { query?: unknown } | undefined)?.query ?? (request.query as { query?: unknown } | undefined)?.query;
  if (typeof source !== 'string') return;
  let document: DocumentNode;
  try {
    document = parse(source, { noLocation: true });
  } catch {
    return;
  }
  const error = documentLimitsError(document);
  if (error) await reply.code(400).type('application/json; charset=utf-8').send({ errors: [{ message: error.message, extensions: error.extensions }] });
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
export function operationCost(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>): number {
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
  if (typeof args.first === 'number') return Math.min(Math.max(1, args.first), MAX_PAGE_SIZE);
  if (typeof args.days === 'number') return Math.max(1, args.days);
  return 1;
}

export function complexityLimitPlugin(max = MAX_COMPLEXITY): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, operation, schema }) {
          if (!operation) return;
          const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {});
          // Invalid variables: execution reports them as BAD_USER_INPUT before anything runs.
          if (coerced.errors) return;
          let complexity: number;
          try {
            complexity = operationCost(schema, document, operation, coerced.coerced);
          } catch {
            // Fail closed: an operation whose cost cannot be measured does not run.
            throw new GraphQLError('The query’s complexity could not be measured; it is refused.', {
              extensions: { code: ErrorCode.BAD_USER_INPUT, limit: 'complexity', max, http: { status: 400 } },
            });
          }
          if (!(complexity <= max)) {
            const shown = Number.isSafeInteger(complexity) ? complexity : `over ${Number.MAX_SAFE_INTEGER}`;
            throw new GraphQLError(`Query complexity ${shown} exceeds the limit of ${max}; ask for fewer items (first) or fewer fields.`, {
              extensions: { code: ErrorCode.BAD_USER_INPUT, limit: 'complexity', max, complexity: Number.isSafeInteger(complexity) ? complexity : null, http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}
