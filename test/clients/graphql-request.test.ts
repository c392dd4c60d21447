import { print } from 'graphql';
import { ClientError, GraphQLClient } from 'graphql-request';
import { describeClientContract, recordingFetch, type Outcome } from './client-contract';

/**
 * graphql-request 7: queries with `method: 'GET'` (which needed the same CSRF fix as urql),
 * mutations as POST, its default. `rawRequest` gives data and errors together; a non-2xx answer
 * is thrown as a ClientError carrying the response. It sends text, so the document is printed.
 */
async function outcome<T>(send: () => Promise<{ data: T; errors?: Outcome<T>['errors'] }>): Promise<Outcome<T>> {
  try {
    const { data, errors } = await send();
    return { data, errors: errors ?? [] };
  } catch (error) {
    if (!(error instanceof ClientError)) throw error;
    return { data: error.response.data as T | undefined, errors: (error.response.errors ?? []) as Outcome<T>['errors'] };
  }
}

describeClientContract('graphql-request', (url, log) => {
  const queries = new GraphQLClient(url, { method: 'GET', fetch: recordingFetch(log), errorPolicy: 'all' });
  const mutations = new GraphQLClient(url, { fetch: recordingFetch(log), errorPolicy: 'all' });
  return {
    async query(document, variables, key) {
      const result = await outcome(() => queries.rawRequest(print(document), variables as never, { 'x-api-key': key }));
      expect(log[log.length - 1].method).toBe('GET');
      return result;
    },
    mutate: (document, variables, key) => outcome(() => mutations.rawRequest(print(document), variables as never, { 'x-api-key': key })),
  };
});
