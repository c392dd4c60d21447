import { ApolloClient, CombinedGraphQLErrors, HttpLink, InMemoryCache } from '@apollo/client';
import { describeClientContract, recordingFetch, type Outcome } from './client-contract';

/**
 * Apollo Client 4 as the README shows it: an HttpLink and an InMemoryCache, `errorPolicy: 'all'`
 * to keep partial data beside field errors. It asks for `application/graphql-response+json`, so
 * the GraphQL errors of a 401, 403, 400 or 429 arrive as CombinedGraphQLErrors with their codes.
 */
function outcome<T>(data: T | undefined, error: unknown): Outcome<T> {
  if (!error) return { data, errors: [] };
  if (CombinedGraphQLErrors.is(error)) return { data, errors: [...error.errors] as Outcome<T>['errors'] };
  return { data, errors: [{ message: (error as Error).message }] };
}

describeClientContract('Apollo Client', (url, log) => {
  const client = new ApolloClient({ link: new HttpLink({ uri: url, fetch: recordingFetch(log) }), cache: new InMemoryCache() });
  const as = (key: string) => ({ headers: { 'x-api-key': key } });
  return {
    async query(query, variables, key) {
      const result = await client.query({
        query,
        variables: variables as never,
        context: as(key),
        fetchPolicy: 'no-cache',
        errorPolicy: 'all',
      });
      return outcome(result.data as never, result.error);
    },
    async mutate(mutation, variables, key) {
      const result = await client.mutate({ mutation, variables: variables as never, context: as(key), errorPolicy: 'all' });
      return outcome(result.data as never, result.error);
    },
  };
});
