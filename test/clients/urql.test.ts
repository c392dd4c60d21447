import { Client, fetchExchange, type CombinedError } from '@urql/core';
import { describeClientContract, recordingFetch, type Outcome } from './client-contract';

/**
 * urql as it comes: `@urql/core` 6 sends queries as GET (`preferGetMethod: 'within-url-limit'`)
 * with no content-type, which Apollo's CSRF prevention refused until credentials in a header
 * counted as a preflight-forcing header. Errors arrive as a CombinedError beside the data.
 */
function outcome<T>(data: T | undefined, error: CombinedError | undefined): Outcome<T> {
  if (!error) return { data, errors: [] };
  if (error.graphQLErrors.length)
    return { data, errors: error.graphQLErrors.map((e) => ({ message: e.message, path: e.path, extensions: e.extensions })) };
  return { data, errors: [{ message: error.message }] };
}

describeClientContract('urql', (url, log) => {
  const client = new Client({ url, exchanges: [fetchExchange], fetch: recordingFetch(log) });
  const as = (key: string) => ({ fetchOptions: { headers: { 'x-api-key': key } } });
  return {
    async query(document, variables, key) {
      const result = await client.query(document, variables as never, as(key)).toPromise();
      expect(log[log.length - 1].method).toBe('GET');
      return outcome(result.data, result.error);
    },
    async mutate(document, variables, key) {
      const result = await client.mutation(document, variables as never, as(key)).toPromise();
      return outcome(result.data, result.error);
    },
  };
});
