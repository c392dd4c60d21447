// First, as in src/main.ts: V8's pretenuring off (src/kernel/heap-tuning.ts); then tracing (off unless OTEL_EXPORTER_OTLP_ENDPOINT is set) patches pg and ioredis as they load.
import { releaseStartupMemory } from '../src/kernel/heap-tuning';
import { tracing } from '../src/http/tracing/preload';
import 'reflect-metadata';
import { buildApp, type AppDeps } from '../src/app';
import type { Principal } from '../src/auth/principal';
import { createSessionTokens } from '../src/auth/session-tokens';
import { openDatabase } from '../src/db/open-database';
import { loadConfig } from '../src/kernel/config';
import { KEYGATE } from '../src/modules';
import type { Running } from './stacks/common';

/**
 * keygate in a bench process, from the compiled build (dist/src, loaded through dist/bench):
 *   ours     buildApp as shipped: keys, verification cache, rate limits, @requires
 *   noauth   the same stack with authentication replaced by a fixed principal (BENCH_KEY's)
 */
export async function startKeygate(kind: 'ours' | 'noauth', env: NodeJS.ProcessEnv): Promise<Running> {
  const config = loadConfig(env);
  const db = await openDatabase(config, { entities: KEYGATE.entities, migrate: false });
  const sessionTokens = await createSessionTokens(config);
  const deps: AppDeps = { config, dataSource: db.dataSource, sessionTokens, tracing };
  let principal: Principal | undefined;
  if (kind === 'noauth') deps.authenticate = async () => principal!;
  const app = await buildApp(deps);
  if (kind === 'noauth') principal = await app.authenticator.authenticateKey(env.BENCH_KEY!);
  await releaseStartupMemory();
  await app.server.listen({ host: '127.0.0.1', port: 0 });
  return {
    port: (app.server.server.address() as { port: number }).port,
    async close() {
      await app.close();
      await db.close();
    },
  };
}
