import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createDataSource } from '../../src/db/data-source';
import { KEYGATE } from '../../src/modules';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';

/**
 * Test databases. Global setup starts PostgreSQL (embedded, in a throwaway directory, unless
 * DATABASE_URL is set), creates a template database with every migration applied, and exports
 * its coordinates through the environment, which Jest workers inherit. Each test file then
 * clones the template (`CREATE DATABASE … TEMPLATE`), which takes milliseconds.
 */
export const ENV_ADMIN_URL = 'KEYGATE_TEST_ADMIN_URL';
export const ENV_TEMPLATE = 'KEYGATE_TEST_TEMPLATE';
export const ENV_RUN_ID = 'KEYGATE_TEST_RUN_ID';

export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function admin<T>(adminUrl: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function setupTestDatabase(): Promise<{ teardown: () => Promise<void> }> {
  const runId = `${process.pid}_${Date.now().toString(36)}`;
  let adminUrl = process.env.DATABASE_URL;
  let stopEmbedded = async () => undefined as void;
  let dir: string | undefined;
  if (!adminUrl) {
    dir = mkdtempSync(path.join(os.tmpdir(), 'keygate-test-'));
    const embedded = await startEmbeddedPostgres({ dir });
    adminUrl = embedded.url;
    stopEmbedded = embedded.stop;
  }
  const template = `kg_template_${runId}`;
  await admin(adminUrl, (c) => c.query(`CREATE DATABASE ${template}`));
  const ds = createDataSource({ entities: KEYGATE.entities, url: databaseUrl(adminUrl, template) });
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  await ds.destroy();

  process.env[ENV_ADMIN_URL] = adminUrl;
  process.env[ENV_TEMPLATE] = template;
  process.env[ENV_RUN_ID] = runId;

  return {
    async teardown() {
      if (process.env.DATABASE_URL) {
        // On a shared server, drop what this run created; an embedded one is simply deleted.
        await admin(adminUrl!, async (c) => {
          const { rows } = await c.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`kg_%${runId}%`]);
          for (const { datname } of rows) await c.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
        });
      }
      await stopEmbedded();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

let counter = 0;

/** A fresh, migrated database for one test file. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const adminUrl = process.env[ENV_ADMIN_URL];
  const template = process.env[ENV_TEMPLATE];
  if (!adminUrl || !template) throw new Error('Test database not set up: run the tests through jest (globalSetup).');
  const name = `kg_${process.env[ENV_RUN_ID]}_${process.env.JEST_WORKER_ID ?? '0'}_${++counter}_${Math.random().toString(36).slice(2, 8)}`;
  await admin(adminUrl, (c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  return {
    url: databaseUrl(adminUrl, name),
    drop: () => admin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
