import type { GraphQLResponse } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import { ErrorCode } from '../../kernel/errors';

/** Apollo Router's notation for "every position of this list". */
const ANY_POSITION = '@';

/**
 * A field refused inside a list is refused on every row for the same reason: one error per
 * selection path, its list positions written `@` (as Apollo Router does), instead of one per row
 * (50 identical errors that Apollo Client joins into one long message). The data still has null
 * at every refused position. Only FORBIDDEN errors are merged: they depend on the field, not the row.
 */
export function collapseListRefusals(response: GraphQLResponse): void {
  if (response.body.kind !== 'single') return;
  const result = response.body.singleResult;
  if (!result.errors || result.errors.length < 2) return;
  const seen = new Set<string>();
  const kept: GraphQLFormattedError[] = [];
  for (const error of result.errors) {
    const path = error.path;
    if (error.extensions?.code !== ErrorCode.FORBIDDEN || !path?.some((step) => typeof step === 'number')) {
      kept.push(error);
      continue;
    }
    const general = path.map((step) => (typeof step === 'number' ? ANY_POSITION : step));
    const key = JSON.stringify([general, error.message, error.extensions]);
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push({ ...error, path: general, locations: error.locations });
  }
  if (kept.length !== result.errors.length) response.body.singleResult = { ...result, errors: kept };
}
