// First, as in src/main.ts: tracing (off unless OTEL_EXPORTER_OTLP_ENDPOINT is set) patches pg and ioredis as they load.
import { tracing } from '../src/http/tracing/preload';
import 'reflect-metadata';
import Fastify, { type FastifyInstance } from 'fastify';
import { installSqlCounter, sqlCounter } from './sql-counter';
import { buildApp, type AppDeps } from '../src/app';
import type { Principal } from '../src/auth/principal';
import { createSessionTokens } from '../src/auth/session-tokens';
import { openDatabase } from '../src/db/open-database';
import { buildUnguardedSchema } from '../src/graphql/schema';
import { loadConfig } from '../src/kernel/config';
import { KEYGATE } from '../src/modules';
import { startHandBuilt } from './handbuilt';
import { guardWithPeer, type PeerName } from './peers';

/**
 * One benchmark server per process (`bench/server.ts <kind>`), configured like production from
 * its own environment (NODE_ENV=production, logging to stdout, which the runner sends to a
 * file, rate limits as the environment says):
 *   ceiling    a bare Fastify route answering a constant (the machine's limit)
 *   ours       buildApp as shipped: keys, verification cache, rate limits, @requires
 *   noauth     the same stack with authentication replaced by a fixed principal
 *   shield | envelop | mapschema   buildApp serving the unguarded schema guarded by that peer
 *   unguarded  buildApp serving the unguarded schema with no authorization at all
 *   handbuilt  a bare Fastify route + pg running keygate's SQL, JSON written by hand
 * It talks to the runner over IPC: `ready` with its port, then answers `stats` (SQL statements
 * sent so far, memory), `capture` / `captured` (the statements sent meanwhile) and `stop`.
 */
type Kind = 'ceiling' | 'ours' | 'noauth' | 'handbuilt' | PeerName;

interface Running {
  server: FastifyInstance;
  close(): Promise<void>;
}

async function startKeygate(kind: Exclude<Kind, 'ceiling' | 'handbuilt'>): Promise<Running> {
  const config = loadConfig(process.env);
  const db = await openDatabase(config, { entities: KEYGATE.entities, migrate: false });
  const sessionTokens = await createSessionTokens(config);
  const deps: AppDeps = { config, dataSource: db.dataSource, sessionTokens, tracing };
  let principal: Principal | undefined;
  if (kind === 'noauth') deps.authenticate = async () => principal!;
  if (kind === 'shield' || kind === 'envelop' || kind === 'mapschema' || kind === 'unguarded') {
    const schema = guardWithPeer(kind, await buildUnguardedSchema({ resolvers: KEYGATE.resolvers, access: KEYGATE.access }));
    // No @requires requirement reaches keygate's own decision: the peer alone guards.
    deps.schema = { schema, plain: schema, requirements: { of: () => 0n }, catalog: [] };
  }
  const app = await buildApp(deps);
  if (kind === 'noauth') principal = await app.authenticator.authenticateKey(process.env.BENCH_KEY!);
  return {
    server: app.server,
    async close() {
      await app.close();
      await db.close();
    },
  };
}

function startCeiling(): Running {
  const server = Fastify({ logger: false });
  const payload = JSON.stringify({ data: { viewer: { kind: 'API_KEY' } } });
  server.post('/graphql', async (_req, reply) => reply.type('application/json; charset=utf-8').send(payload));
  return { server, close: () => server.close() };
}

async function main() {
  installSqlCounter();
  const kind = process.argv[2] as Kind;
  const running = kind === 'ceiling' ? startCeiling() : kind === 'handbuilt' ? await startHandBuilt(process.env) : await startKeygate(kind);
  await running.server.listen({ host: '127.0.0.1', port: 0 });
  const port = (running.server.server.address() as { port: number }).port;

  const reply = (id: number, body: object) => process.send!({ id, ...body });
  process.on('message', (message: { id: number; cmd: string }) => {
    switch (message.cmd) {
      case 'stats': {
        const m = process.memoryUsage();
        return reply(message.id, { statements: sqlCounter.statements, rss: m.rss, heapUsed: m.heapUsed });
      }
      case 'capture':
        sqlCounter.capturing = [];
        return reply(message.id, {});
      case 'captured': {
        const statements = sqlCounter.capturing ?? [];
        sqlCounter.capturing = null;
        return reply(message.id, { statements });
      }
      case 'stop':
        return void running.close().finally(() => process.exit(0));
    }
  });
  process.on('disconnect', () => void running.close().finally(() => process.exit(0)));
  process.send!({ ready: true, port });
}

main().catch((error) => {
  console.error(`bench server ${process.argv[2]} failed:`, error);
  process.exit(1);
});
