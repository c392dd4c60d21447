import { GraphQLError } from 'graphql';
import { ErrorCode } from '../../kernel/errors';
import { analyzeDocument, textProblem } from '../analysis/document-analysis';
import type { Stage } from './stage';

type Found = Map<string, string>;

/** Paths (e.g. `input.name`) of invalid strings in a variables object; object keys count too (JSON inputs). Nesting is bounded (≤ 64) before this runs. */
function checkValue(value: unknown, path: string, found: Found): void {
  if (typeof value === 'string') {
    const problem = textProblem(value);
    if (problem && !found.has(path)) found.set(path, problem);
  } else if (Array.isArray(value)) {
    value.forEach((v) => checkValue(v, path, found));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const at = path ? `${path}.${k}` : k;
      const problem = textProblem(k);
      if (problem && !found.has(at)) found.set(at, problem);
      checkValue(v, at, found);
    }
  }
}

/**
 * Text PostgreSQL cannot store faithfully is invalid input for every field: a NUL character
 * (text columns refuse it) and a lone UTF-16 surrogate (no UTF-8 form; jsonb refuses it).
 * Refusing both here, once, for every argument of every operation, keeps them from surfacing as
 * a database error (a 500) in whichever service they would reach. Variables and literals are
 * both checked (the literals' problems are found once per document, by its analysis); `fields`
 * names where each was (variable or argument paths).
 */
export const textStage: Stage = ({ request, document, schema }) => {
  const inLiterals = analyzeDocument(schema, document).literalProblems;
  if (inLiterals.size === 0 && !request.variables) return;
  const found: Found = new Map(inLiterals);
  checkValue(request.variables ?? {}, '', found);
  if (found.size === 0) return;
  const problems = [...new Set(found.values())];
  throw new GraphQLError(
    problems.length === 1 ? `Text input ${problems[0]}` : 'Text input must be valid Unicode without NUL characters; see extensions.fields.',
    {
      extensions: {
        code: ErrorCode.BAD_USER_INPUT,
        fields: Object.fromEntries([...found].map(([p, problem]) => [p, `${p.split('.').at(-1)} ${problem}`])),
        http: { status: 400 },
      },
    },
  );
};
