import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { GraphQLError } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { allow, and, rule, shield } from 'graphql-shield';
import { pageSize, peerSetup, typeDefs, type Caller, type Running } from './common';

/**
 * Plain Apollo Server 5 + graphql-shield + pg: the stack a team would start from Apollo's own
 * "get started" page. `startStandaloneServer` (Apollo's Node `http` server with its body parser
 * and CORS) rather than the Fastify integration: it is what Apollo documents first and what a
 * team picking "plain Apollo" picks; keygate's Fastify layer is then part of what the ratio
 * against this peer measures. Permissions: a shield rule tree, one cached rule per scope.
 */
interface Context {
  caller: Caller;
}

export async function startApollo(env: NodeJS.ProcessEnv): Promise<Running> {
  const { keys, lists, close } = peerSetup(env);
  const rules = new Map<string, ReturnType<ReturnType<typeof rule>>>();
  const can = (scope: string) => {
    let r = rules.get(scope);
    if (!r) rules.set(scope, (r = rule(`can:${scope}`, { cache: 'contextual' })((_p, _a, ctx: Context) => ctx.caller.scopes.has(scope))));
    return r;
  };
  const permissions = shield(
    {
      Query: { apiKeys: can('apiKeys:read'), shortLinks: can('shortLinks:read') },
      ApiKey: { '*': can('apiKeys:read'), owner: and(can('apiKeys:read'), can('members:read')) },
      ShortLink: { '*': can('shortLinks:read'), clicks: and(can('shortLinks:read'), can('stats:read')) },
      Domain: { '*': can('domains:read') },
    },
    { fallbackRule: allow },
  );
  const schema = makeExecutableSchema<Context>({
    typeDefs: typeDefs(() => ''),
    resolvers: {
      Query: {
        viewer: (_p, _a, ctx) => ({ kind: ctx.caller.kind }),
        apiKeys: (_p, args: { first?: number }, ctx) => lists.apiKeys(ctx.caller, pageSize(args.first)),
        shortLinks: (_p, args: { first?: number }, ctx) => lists.shortLinks(ctx.caller, pageSize(args.first)),
      },
    },
  });
  const server = new ApolloServer<Context>({ schema: applyMiddleware(schema, permissions) });
  const { url } = await startStandaloneServer(server, {
    listen: { host: '127.0.0.1', port: 0 },
    context: async ({ req }) => {
      const caller = await keys.verify(req.headers['x-api-key']);
      if (!caller) throw new GraphQLError('Unauthenticated', { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
      return { caller };
    },
  });
  return {
    port: Number(new URL(url).port),
    async close() {
      await server.stop();
      await close();
    },
  };
}
