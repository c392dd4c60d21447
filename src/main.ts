// First: V8's allocation-site pretenuring off, before anything allocates (kernel/heap-tuning.ts says why).
import { releaseStartupMemory } from './kernel/heap-tuning';
// Then: OpenTelemetry patches `pg` and `ioredis` as they are required (off unless configured).
import { tracing } from './http/tracing/preload';
import 'reflect-metadata';
import { buildApp, type App } from './app';
import { createSessionTokens } from './auth/session-tokens';
import { ConfigError, loadConfig } from './kernel/config';
import { openDatabase, type OpenDatabase } from './db/open-database';
import { KEYGATE } from './modules';

/**
 * Process entry: config → database (+ migrations) → first-start bootstrap → listen.
 * On SIGTERM/SIGINT: SHUTDOWN_DRAIN_MS of serving with /readyz at 503, then stop accepting, finish
 * in-flight requests, flush usage, close the database — the embedded
 * PostgreSQL last, which runs in its own process group so a Ctrl-C reaches only us — exit 0.
 */
async function main(): Promise<void> {
  const startedAt = process.hrtime.bigint();
  const config = loadConfig();
  let db: OpenDatabase | undefined;
  let app: App | undefined;

  let stopping = false;
  let endDrain: (() => void) | undefined;
  const shutdown = async (signal: string) => {
    // A second signal cuts the drain short (an operator's second Ctrl-C); the rest still runs.
    if (stopping) return endDrain?.();
    stopping = true;
    app?.server.log.info({ signal, drainMs: config.shutdownDrainMs }, 'shutting down');
    // First the drain: still serving, /readyz 503, so the balancer stops sending here before the
    // listening socket closes and no request of its finds a closed port or a cut connection.
    app?.beginDrain();
    if (app && config.shutdownDrainMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, config.shutdownDrainMs);
        endDrain = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const force = setTimeout(() => process.exit(1), 15_000).unref();
    try {
      await app?.close();
      await db?.close();
      await tracing?.shutdown().catch(() => undefined); // exports the spans still buffered
      clearTimeout(force);
      process.exit(0);
    } catch (error) {
      console.error('shutdown failed', error);
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  db = await openDatabase(config, { entities: KEYGATE.entities, migrate: config.database.migrateOnStart, ownProcessGroup: true });
  if (stopping) return; // a signal came while the database was starting; shutdown() closes it

  const sessionTokens = await createSessionTokens(config);
  app = await buildApp({ config, dataSource: db.dataSource, sessionTokens, tracing });
  const log = app.server.log;
  if (db.migrated.length) log.info({ migrations: db.migrated }, 'applied migrations');

  const bootstrap = config.bootstrapOnStart
    ? await app.services.organizations.bootstrapIfEmpty({ withKey: config.printBootstrapKey })
    : null;
  // Outside production, the owner made on first start gets a one-time link into the console.
  const signInLink = bootstrap && !config.isProduction ? await app.browserSessions.createSignInLink(bootstrap.owner.id) : null;
  await releaseStartupMemory();
  await app.server.listen({ host: config.host, port: config.port });
  const ms = Number(process.hrtime.bigint() - startedAt) / 1e6;

  // The banner is for the person at the terminal, so it goes to stderr: stdout carries the JSON
  // log stream, which is shipped and kept, and a secret must never be part of it. The bootstrap
  // key is shown exactly once, on the start that created it, and only where PRINT_BOOTSTRAP_KEY
  // allows it (off in production, where it is then not created at all).
  const lines = [
    '',
    `keygate is listening on ${config.publicUrl} (ready in ${Math.round(ms)} ms)`,
    `  GraphQL:  ${config.publicUrl}/graphql`,
    `  GraphiQL: ${config.publicUrl}/graphiql`,
    `  Console:  ${config.publicUrl}/console`,
  ];
  if (bootstrap?.apiKey) {
    lines.push(
      '',
      `First start: created organization "${bootstrap.organization.name}" (${bootstrap.organization.id})`,
      `with owner ${bootstrap.owner.email} and a BOT key holding every permission.`,
      'It is shown ONCE. Store it now; keygate keeps only its SHA-256:',
      '',
      `  ${bootstrap.apiKey.secret}`,
      '',
      `Try it:  curl -s ${config.publicUrl}/graphql -H 'content-type: application/json' \\`,
      `           -H 'x-api-key: <the key above>' -d '{"query":"{ viewer { kind organization { name } } }"}'`,
    );
  } else if (bootstrap) {
    lines.push(
      '',
      `First start: created organization "${bootstrap.organization.name}" (${bootstrap.organization.id}) with owner ${bootstrap.owner.email}.`,
      'No bootstrap key was created (PRINT_BOOTSTRAP_KEY is off). Sign in as the owner with a session token:',
      `  npm run --silent cli -- session --org ${bootstrap.organization.id} --email ${bootstrap.owner.email}`,
    );
  }
  if (bootstrap && signInLink) {
    lines.push(
      '',
      `Sign in to the console as ${bootstrap.owner.email} (one-time link, valid for an hour):`,
      '',
      `  ${config.publicUrl}/console/#sign-in=${signInLink.token}`,
      '',
      `Another link later: npm run --silent cli -- sign-in-link --email ${bootstrap.owner.email}`,
    );
  }
  process.stderr.write(lines.join('\n') + '\n\n');
}

main().catch((error) => {
  if (error instanceof ConfigError) {
    console.error(`keygate: ${error.message}`);
  } else {
    console.error('keygate failed to start:', error);
  }
  process.exit(1);
});
