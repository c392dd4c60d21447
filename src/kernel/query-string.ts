/**
 * The `?…` part of a request target, as `new URL(target).search` has it: a fragment ends the
 * target first, so a `?` after a `#` starts no query. The one reading of a GET's parameters: the
 * pre-handler limits (graphql/pipeline/limits.stage.ts) and Apollo (http/apollo-handler.ts) both
 * parse this string with URLSearchParams, so no document can reach Apollo other than the one
 * measured. Cut by hand, not through `new URL`, which costs a URL object per request.
 */
export function queryString(target: string): string {
  const hash = target.indexOf('#');
  const end = hash < 0 ? target.length : hash;
  const start = target.indexOf('?');
  return start < 0 || start > end ? '' : target.slice(start, end);
}
