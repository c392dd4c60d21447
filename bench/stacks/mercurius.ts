import Fastify from 'fastify';
import type { ArgumentNode, DirectiveNode, ListValueNode, StringValueNode } from 'graphql';
// mercurius's types are `export =`: only an import-equals keeps its plugin signature under nodenext.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import mercurius = require('mercurius');
import mercuriusAuth from 'mercurius-auth';
import { pageSize, peerSetup, typeDefs, type Caller, type Running } from './common';

/**
 * Mercurius (graphql-jit after the first use of a document) + mercurius-auth (its directive mode:
 * `@auth(requires: [...])` on the types and fields keygate guards) + pg, on Fastify. The key is
 * checked in a `preHandler` hook (401 before GraphQL runs); the context carries the caller.
 */
declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
}

declare module 'mercurius' {
  interface MercuriusContext {
    caller: Caller;
  }
}

const DIRECTIVES = 'directive @auth(requires: [String!]!) on OBJECT | FIELD_DEFINITION';

/** The scopes an `@auth` usage requires, read once per directive node. */
const required = new WeakMap<DirectiveNode, string[]>();
function requiresOf(directive: DirectiveNode): string[] {
  let scopes = required.get(directive);
  if (!scopes) {
    const arg = directive.arguments?.find((a: ArgumentNode) => a.name.value === 'requires');
    scopes = ((arg?.value as ListValueNode | undefined)?.values ?? []).map((v) => (v as StringValueNode).value);
    required.set(directive, scopes);
  }
  return scopes;
}

export async function startMercurius(env: NodeJS.ProcessEnv): Promise<Running> {
  const { keys, lists, close } = peerSetup(env);
  const app = Fastify({ logger: false });
  app.decorateRequest('caller', null);
  app.addHook('preHandler', async (request, reply) => {
    request.caller = await keys.verify(request.headers['x-api-key']);
    if (!request.caller) return reply.code(401).send({ errors: [{ message: 'Unauthenticated' }] });
  });
  const options: mercurius.MercuriusOptions = {
    schema: typeDefs((scopes) => (scopes.length ? `@auth(requires: ${JSON.stringify(scopes)})` : ''), DIRECTIVES),
    resolvers: {
      Query: {
        viewer: (_p: unknown, _a: unknown, ctx: mercurius.MercuriusContext) => ({ kind: ctx.caller.kind }),
        apiKeys: (_p: unknown, args: { first?: number }, ctx: mercurius.MercuriusContext) =>
          lists.apiKeys(ctx.caller, pageSize(args.first)),
        shortLinks: (_p: unknown, args: { first?: number }, ctx: mercurius.MercuriusContext) =>
          lists.shortLinks(ctx.caller, pageSize(args.first)),
      },
    },
    context: (request) => ({ caller: request.caller! }),
    jit: 1,
  };
  await app.register(mercurius, options);
  await app.register(mercuriusAuth, {
    authContext: (context) => ({ scopes: context.caller.scopes }),
    applyPolicy: async (directive: DirectiveNode, _parent, _args, context) => {
      const scopes = context.auth!.scopes as ReadonlySet<string>;
      return requiresOf(directive).every((s) => scopes.has(s)) || new Error(`Requires ${requiresOf(directive).join(', ')}`);
    },
    authDirective: 'auth',
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    port: (app.server.address() as { port: number }).port,
    async close() {
      await app.close();
      await close();
    },
  };
}
