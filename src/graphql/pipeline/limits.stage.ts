import { GraphQLError, parse, type ASTVisitor, type DocumentNode, type OperationDefinitionNode, type ValidationContext } from 'graphql';
import { shapesOf, type OperationShape } from '../analysis/document-analysis';
import { fragmentsOf } from '../analysis/selection-walk';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { documentNestingBeyond, jsonNestingBeyond, nestingError } from '../../kernel/input-nesting';
import { queryString } from '../../kernel/query-string';

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
/**
 * Tokens graphql's parser reads before it gives up (its own `maxTokens`, also Apollo's
 * parseOptions): GraphiQL's introspection query is about 1,500 and a chain of 2,000 fragments
 * (refused for its fragment count, which says more) about 18,000; a 100 KB body can hold 50,000.
 */
export const MAX_TOKENS = 25_000;

export type LimitName = 'depth' | 'aliases' | 'fragments' | 'selections' | 'complexity';

/**
 * Depth and expanded size of every operation, folded by the document walker with each fragment
 * measured once (a fragment spread twice at each of 25 levels costs 25 measurements, not 2^25).
 * It runs before validation, on the limits' own parse, so it needs no schema.
 */
export function measureDocument(document: DocumentNode): { operations: Map<OperationDefinitionNode, OperationShape>; fragments: number } {
  const fragments = fragmentsOf(document.definitions);
  return { operations: shapesOf({ fragments }, document), fragments: fragments.size };
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
 * What the limits said of a query text, kept by text (up to 4 MB of it): a client repeating its
 * queries has each measured once, as Apollo parses and validates each text once. Null: within
 * the limits, or not parsable (Apollo reports the syntax error).
 */
const verdicts = new LRUCache<string, { refusal: GraphQLError | null }>({
  maxSize: 4 * 1024 * 1024,
  sizeCalculation: (_v, text) => text.length + 64,
});

function verdictOf(source: string): GraphQLError | null {
  let verdict = verdicts.get(source);
  if (!verdict) {
    let document: DocumentNode | null;
    try {
      document = parse(source, { noLocation: true, maxTokens: MAX_TOKENS });
    } catch {
      document = null;
    }
    verdict = { refusal: document && documentLimitsError(document) };
    verdicts.set(source, verdict);
  }
  return verdict.refusal;
}

/**
 * Stage 1, on the GraphQL route before Apollo: nesting, depth, fragment count and expanded
 * selections are checked before Apollo authenticates, parses and validates. graphql's own
 * validation is not linear in every case (its overlapping-fields rule takes most of a second on a
 * document of 2,000 fragments before giving up with a bare "Validation aborted."), so a document
 * over these limits must not reach it. The refusal looks like any validation failure: HTTP 400,
 * GRAPHQL_VALIDATION_FAILED, the first limit exceeded in `extensions.limit`.
 */
export async function documentLimitsHook(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  // A GET's parameters read exactly as Apollo reads them (URLSearchParams), not through Fastify's
  // parser: that one keeps a whole value percent-encoded when one escape is not UTF-8, and a
  // document Apollo decoded anyway would pass here unmeasured.
  const inUrl = request.method === 'GET' ? new URLSearchParams(queryString(request.url)) : null;
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
  const error = verdictOf(source);
  if (error)
    await reply
      .code(400)
      .type('application/json; charset=utf-8')
      .send({ errors: [{ message: error.message, extensions: { ...error.extensions, requestId: request.id } }] });
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
