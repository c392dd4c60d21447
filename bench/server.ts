import 'reflect-metadata';
import Fastify from 'fastify';
import { applyMiddleware } from 'graphql-middleware';
import { allow, rule, shield } from 'graphql-shield';
import { isObjectType, type ConstDirectiveNode, type GraphQLSchema } from 'graphql';
import { buildApp } from '../src/app';
import type { PermissionMask } from '../src/kernel/permissions';
import { KEYGATE } from '../src/modules';
import type { Principal } from '../src/auth/principal';
import { SessionTokens } from '../src/auth/session-tokens';
import { loadConfig } from '../src/kernel/config';
import { createDataSource } from '../src/db/data-source';
import { ForbiddenError } from '../src/kernel/errors';
import { buildUnguardedSchema } from '../src/graphql/schema';

/**
 * The benchmark's server process: four listeners on loopback, one data source.
 *   ceiling  a bare Fastify route returning the auth scenario's JSON (the machine's limit)
 *   ours     buildApp as shipped: keys, cache, @requires
 *   noauth   buildApp with authentication replaced by a fixed principal (GraphQL alone)
 *   shield   buildApp serving the same schema guarded by graphql-shield rules instead of @requires
 * Prints one JSON line with the ports when ready. Counts SQL statements for /__queries.
 */
interface Requirement {
  mask: PermissionMask;
  scope: string;
}

function requirementOf(node: { astNode?: { directives?: readonly ConstDirectiveNode[] } | null }): Requirement | null {
  let mask = 0n;
  let scope = '';
  for (const d of node.astNode?.directives ?? []) {
    if (d.name.value !== 'requires') continue;
    const arg = (n: string) => (d.arguments?.find((a) => a.name.value === n)?.value as { value?: string } | undefined)?.value ?? '';
    const [resource, action] = [arg('resource'), arg('action')];
    if (KEYGATE.access.declares(resource, action)) {
      mask |= KEYGATE.access.maskFromScopes([`${resource}:${action}`]);
      scope ||= `${resource}:${action}`;
    }
  }
  return mask ? { mask, scope } : null;
}

/** The rule tree most projects would write by hand: one rule per guarded type and field. */
function shieldFor(schema: GraphQLSchema): GraphQLSchema {
  const ruleFor = (r: Requirement) =>
    rule({ cache: 'contextual' })((_parent, _args, ctx: { principal: Principal }) =>
      (ctx.principal.permissions & r.mask) === r.mask ? true : new ForbiddenError({ required: [r.scope] }),
    );
  const tree: Record<string, Record<string, ReturnType<typeof ruleFor>>> = {};
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const typeReq = requirementOf(type);
    const fields: Record<string, ReturnType<typeof ruleFor>> = {};
    for (const field of Object.values(type.getFields())) {
      const fieldReq = requirementOf(field);
      const combined =
        typeReq || fieldReq ? { mask: (typeReq?.mask ?? 0n) | (fieldReq?.mask ?? 0n), scope: fieldReq?.scope ?? typeReq!.scope } : null;
      if (combined) fields[field.name] = ruleFor(combined);
    }
    if (Object.keys(fields).length) tree[type.name] = fields;
  }
  return applyMiddleware(schema, shield(tree, { fallbackRule: allow, allowExternalErrors: true }));
}

async function main() {
  const url = process.env.DATABASE_URL!;
  let queries = 0;
  const dataSource = createDataSource({ url, entities: KEYGATE.entities, queryObserver: () => queries++, poolSize: 20 });
  await dataSource.initialize();
  const env = {
    NODE_ENV: 'production',
    SESSION_SECRET: 'bench-secret-bench-secret-bench-secret!!',
    ENCRYPTION_KEY: 'ab'.repeat(32),
    LOG_LEVEL: 'silent',
    RATE_LIMITS_ENABLED: 'false',
    JOBS_ENABLED: 'false',
  };
  const config = loadConfig(env);
  const sessionTokens = new SessionTokens({ secret: env.SESSION_SECRET, ttlSeconds: 3600 });

  const ours = await buildApp({ config, dataSource, sessionTokens, logger: false });
  const principal = await ours.authenticator.authenticateKey(process.env.BENCH_KEY!);
  const noauth = await buildApp({ config, dataSource, sessionTokens, logger: false, authenticate: async () => principal });
  // graphql-shield alone decides: no @requires requirements, so every operation runs on its schema.
  const shieldSchema = shieldFor(await buildUnguardedSchema({ resolvers: KEYGATE.resolvers, access: KEYGATE.access }));
  const shielded = await buildApp({
    config,
    dataSource,
    sessionTokens,
    logger: false,
    schema: { schema: shieldSchema, plain: shieldSchema, requirements: { of: () => 0n }, catalog: [] },
  });

  const ceiling = Fastify({ logger: false });
  const payload = JSON.stringify({ data: { viewer: { kind: 'API_KEY' } } });
  ceiling.post('/graphql', async (_req, reply) => reply.type('application/json; charset=utf-8').send(payload));
  ceiling.get('/__queries', async () => ({ queries }));
  ceiling.get('/__memory', async () => {
    const m = process.memoryUsage();
    return { rss: m.rss, heapUsed: m.heapUsed };
  });

  const ports: Record<string, number> = {};
  for (const [name, server] of [
    ['ceiling', ceiling],
    ['ours', ours.server],
    ['noauth', noauth.server],
    ['shield', shielded.server],
  ] as const) {
    await server.listen({ host: '127.0.0.1', port: 0 });
    ports[name] = (server.server.address() as { port: number }).port;
  }
  process.stdout.write(`${JSON.stringify({ ready: true, ports })}\n`);
  const stop = async () => {
    for (const app of [ours, noauth, shielded]) await app.close();
    await ceiling.close();
    await dataSource.destroy();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
