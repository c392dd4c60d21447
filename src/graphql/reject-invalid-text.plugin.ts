import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, visit, type DocumentNode, type ValueNode } from 'graphql';
import { ErrorCode } from '../kernel/errors';

const NUL = 'must not contain NUL (\\u0000) characters.';
const LONE_SURROGATE = 'must be valid Unicode: it contains an unpaired UTF-16 surrogate (such as \\ud800).';

/** In `u` mode a well-formed pair is one astral code point, so only unpaired halves match. */
const LONE_SURROGATE_PATTERN = /\p{Cs}/u;

/** Why a string cannot be stored as text, or null when it can. */
function problemWith(text: string): string | null {
  if (text.includes('\u0000')) return NUL;
  // A lone surrogate has no UTF-8 form: PostgreSQL's jsonb refuses its \ud800 escape, and text
  // columns would silently store U+FFFD instead of what was sent.
  if (LONE_SURROGATE_PATTERN.test(text)) return LONE_SURROGATE;
  return null;
}

type Found = Map<string, string>;

/** Paths (e.g. `input.name`) of invalid strings in a variables object; object keys count too (JSON inputs). */
function checkValue(value: unknown, path: string, found: Found): void {
  if (typeof value === 'string') {
    const problem = problemWith(value);
    if (problem && !found.has(path)) found.set(path, problem);
  } else if (Array.isArray(value)) {
    value.forEach((v) => checkValue(v, path, found));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const at = path ? `${path}.${k}` : k;
      const problem = problemWith(k);
      if (problem && !found.has(at)) found.set(at, problem);
      checkValue(v, at, found);
    }
  }
}

function checkLiteral(node: ValueNode, path: string, found: Found): void {
  if (node.kind === Kind.STRING) {
    const problem = problemWith(node.value);
    if (problem && !found.has(path)) found.set(path, problem);
  } else if (node.kind === Kind.LIST) node.values.forEach((v) => checkLiteral(v, path, found));
  else if (node.kind === Kind.OBJECT) node.fields.forEach((f) => checkLiteral(f.value, `${path}.${f.name.value}`, found));
}

/**
 * The literals' problems, per parsed document: Apollo hands every request with the same query
 * text the same DocumentNode, so a document is walked once, not once per request.
 */
const literalProblems = new WeakMap<DocumentNode, Found>();

function problemsInLiterals(document: DocumentNode): Found {
  let found = literalProblems.get(document);
  if (!found) {
    const problems: Found = new Map();
    visit(document, {
      [Kind.ARGUMENT](node) {
        checkLiteral(node.value, node.name.value, problems);
      },
    });
    found = problems;
    literalProblems.set(document, found);
  }
  return found;
}

/**
 * Text PostgreSQL cannot store faithfully is invalid input for every field: a NUL character
 * (text columns refuse it) and a lone UTF-16 surrogate (no UTF-8 form; jsonb refuses it).
 * Refusing both here, once, for every argument of every operation, keeps them from surfacing as
 * a database error (a 500) in whichever service they would reach. Variables and literals are
 * both checked (graphql's parser already refuses a lone surrogate escape in a literal); `fields`
 * names where each was (variable or argument paths).
 */
export const rejectInvalidTextPlugin: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async didResolveOperation({ request, document }) {
        const inLiterals = problemsInLiterals(document);
        if (inLiterals.size === 0 && !request.variables) return;
        const found: Found = new Map(inLiterals);
        checkValue(request.variables ?? {}, '', found);
        if (found.size === 0) return;
        const problems = [...new Set(found.values())];
        throw new GraphQLError(
          problems.length === 1
            ? `Text input ${problems[0]}`
            : 'Text input must be valid Unicode without NUL characters; see extensions.fields.',
          {
            extensions: {
              code: ErrorCode.BAD_USER_INPUT,
              fields: Object.fromEntries([...found].map(([p, problem]) => [p, `${p.split('.').at(-1)} ${problem}`])),
              http: { status: 400 },
            },
          },
        );
      },
    };
  },
};
