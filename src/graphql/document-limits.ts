import {
  GraphQLError,
  Kind,
  parse,
  type ASTVisitor,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { documentNestingBeyond, jsonNestingBeyond, nestingError } from '../kernel/input-nesting';

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
    return refuse('fragments', `The document defines ${measured.fragments} fragments; the limit is ${limits.fragments}.`, {
      max: limits.fragments,
    });
  }
  let selections = 0;
  for (const shape of measured.operations.values()) selections += shape.selections;
  if (selections > limits.selections) {
    const shown = Number.isSafeInteger(selections) ? String(selections) : `more than ${Number.MAX_SAFE_INTEGER}`;
    return refuse('selections', `The document expands to ${shown} field selections; the limit is ${limits.selections}.`, {
      max: limits.selections,
    });
  }
  for (const shape of measured.operations.values()) {
    if (shape.depth > limits.depth)
      return refuse('depth', `Query depth ${shape.depth} exceeds the limit of ${limits.depth}.`, { max: limits.depth });
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
  // A GET's parameters read exactly as Apollo reads them (URLSearchParams), not through Fastify's
  // parser: that one keeps a whole value percent-encoded when one escape is not UTF-8, and a
  // document Apollo decoded anyway would pass here unmeasured.
  const inUrl = request.method === 'GET' ? new URL(request.url, 'http://keygate/').searchParams : null;
  // A GET carries its variables and extensions as JSON text, which Apollo parses: bound them as the body parser bounds a POST's.
  for (const name of ['variables', 'extensions'] as const) {
    const text = inUrl?.get(name);
    const depth = typeof text === 'string' ? jsonNestingBeyond(text) : null;
    if (depth !== null) throw nestingError(`The ${name} parameter`, depth);
  }
  const source = (request.body as { query?: unknown } | undefined)?.query ?? inUrl?.get('query');
  if (typeof source !== 'string') return;
  // graphql's parser recurses once per bracket: a document nested thousands deep would overflow it.
  const depth = documentNestingBeyond(source);
  if (depth !== null) throw nestingError('The document', depth);
  let document: DocumentNode;
  try {
    document = parse(source, { noLocation: true });
  } catch {
    return;
  }
  const error = documentLimitsError(document);
  if (error)
    await reply
      .code(400)
      .type('application/json; charset=utf-8')
      .send({ errors: [{ message: error.message, extensions: error.extensions }] });
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
          context.reportError(
            new GraphQLError(`The document uses more than ${max} aliases.`, { nodes: [node], extensions: { limit: 'aliases', max } }),
          );
        }
      },
    };
  };
}
