import { createServer } from 'node:http';
import { useGenericAuth } from '@envelop/generic-auth';
import { useGraphQlJit } from '@envelop/graphql-jit';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { createYoga, type Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import { pageSize, peerSetup, typeDefs, type Caller, type Running } from './common';

/**
 * GraphQL Yoga 5 + @envelop/generic-auth (`protect-granular`, its `@authenticated` and
 * `@requiresScopes` directives in the SDL) + pg, on Node's `http` server as Yoga documents it.
 * `jit`: @envelop/graphql-jit too, compiled queries cached by document (its WeakMap, and an LRU
 * by document text as its `cache` option takes).
 */
interface Context {
  currentUser: Caller | null;
}

const DIRECTIVES = `
  directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE
  directive @requiresScopes(scopes: [[String!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE
`;

export async function startYoga(env: NodeJS.ProcessEnv, jit: boolean): Promise<Running> {
  const { keys, lists, close } = peerSetup(env);
  const guard = (scopes: string[]) => (scopes.length ? `@requiresScopes(scopes: [${JSON.stringify(scopes)}])` : '@authenticated');
  const schema = makeExecutableSchema<Context>({
    typeDefs: typeDefs(guard, DIRECTIVES),
    resolvers: {
      Query: {
        viewer: (_p, _a, ctx) => ({ kind: ctx.currentUser!.kind }),
        apiKeys: (_p, args: { first?: number }, ctx) => lists.apiKeys(ctx.currentUser!, pageSize(args.first)),
        shortLinks: (_p, args: { first?: number }, ctx) => lists.shortLinks(ctx.currentUser!, pageSize(args.first)),
      },
    },
  });
  const plugins: Plugin[] = [
    useGenericAuth<Caller, Context & { request: Request }>({
      mode: 'protect-granular',
      resolveUserFn: (ctx) => keys.verify(ctx.request.headers.get('x-api-key')),
      extractScopes: (caller) => caller?.scopeList ?? [],
    }) as Plugin,
  ];
  if (jit) plugins.push(useGraphQlJit({}, { cache: new LRUCache({ max: 1000 }) }) as Plugin);
  const yoga = createYoga({ schema, plugins, graphiql: false, landingPage: false });
  const server = createServer(yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await close();
    },
  };
}
