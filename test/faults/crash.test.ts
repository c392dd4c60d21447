import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiKeyTotalDocument, CreateApiKeyGrantDocument, RevokeApiKeyBareDocument } from '../generated/graphql';
import { expectOk } from '../support/expect';
import { fetchGql } from '../support/graphql-request';
import { TestApp } from '../support/harness';
import { startServerProcess } from '../support/processes';

/**
 * kill -9 in the middle of key changes. Afterwards, and after a restart, every change either
 * fully happened — the row, its audit event and its webhook outbox row — or did not at all.
 */
let t: TestApp;
let dataDir: string;
beforeAll(async () => {
  t = await TestApp.create();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'keygate-crash-'));
  chmodSync(dataDir, 0o755);
});
afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  await t.close();
});

const start = () => startServerProcess(t.databaseUrl, dataDir, { JOBS_ENABLED: 'false' });

async function invariants() {
  const q = (sql: string) => t.dataSource.query(sql).then((r: { n: number }[]) => r[0].n);
  return {
    // Every key has exactly one creation event, and every audit event its outbox twin.
    keysWithoutCreatedEvent: await q(
      `SELECT count(*)::int AS n FROM api_keys k WHERE NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.target_id = k.id AND e.action = 'API_KEY_CREATED')`,
    ),
    createdEventsWithoutKey: await q(
      `SELECT count(*)::int AS n FROM audit_events e WHERE e.action = 'API_KEY_CREATED' AND NOT EXISTS (SELECT 1 FROM api_keys k WHERE k.id = e.target_id)`,
    ),
    revokedWithoutEvent: await q(
      `SELECT count(*)::int AS n FROM api_keys k WHERE k.status = 'REVOKED' AND NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.target_id = k.id AND e.action = 'API_KEY_REVOKED')`,
    ),
    revokedEventsOnLiveKeys: await q(
      `SELECT count(*)::int AS n FROM audit_events e JOIN api_keys k ON k.id = e.target_id WHERE e.action = 'API_KEY_REVOKED' AND k.status <> 'REVOKED'`,
    ),
    keysWithoutSecret: await q(
      `SELECT count(*)::int AS n FROM api_keys k WHERE NOT EXISTS (SELECT 1 FROM api_key_secrets s WHERE s.api_key_id = k.id)`,
    ),
    auditWithoutOutbox: await q(
      `SELECT count(*)::int AS n FROM audit_events e WHERE NOT EXISTS (SELECT 1 FROM webhook_events w WHERE (w.payload->'data'->>'auditEventId')::uuid = e.id)`,
    ),
    outboxWithoutAudit: await q(
      `SELECT count(*)::int AS n FROM webhook_events w WHERE NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.id = (w.payload->'data'->>'auditEventId')::uuid)`,
    ),
  };
}

const CLEAN = {
  keysWithoutCreatedEvent: 0,
  createdEventsWithoutKey: 0,
  revokedWithoutEvent: 0,
  revokedEventsOnLiveKeys: 0,
  keysWithoutSecret: 0,
  auditWithoutOutbox: 0,
  outboxWithoutAudit: 0,
};

it('after kill -9 mid-change and a restart, every key change happened whole or not at all', async () => {
  const first = await start();
  const url = first.url;
  const asRoot = { 'x-api-key': t.rootKey };

  let stop = false;
  let completed = 0;
  // kill -9 comes after six whole changes have been answered, with six more in flight: an event, not a time.
  const COMPLETED_BEFORE_KILL = 6;
  let reached: () => void;
  const enoughDone = new Promise<void>((resolve) => (reached = resolve));
  const worker = async (n: number) => {
    for (let i = 0; !stop; i++) {
      try {
        const created = await fetchGql(
          url,
          CreateApiKeyGrantDocument,
          { input: { name: `crash ${n}-${i}`, permissions: { stats: ['read'] } } },
          asRoot,
        );
        const id = created.body.data?.createApiKey?.apiKey?.id;
        if (id) await fetchGql(url, RevokeApiKeyBareDocument, { id, reason: 'crash test' }, asRoot);
        completed++;
        if (completed >= COMPLETED_BEFORE_KILL) reached();
      } catch {
        stop = true;
      }
    }
  };
  const workers = Promise.all(Array.from({ length: 6 }, (_, n) => worker(n)));
  await enoughDone;
  first.child.kill('SIGKILL');
  await workers;
  expect((await first.exit).code).toBeNull(); // killed, not exited
  expect(completed).toBeGreaterThanOrEqual(COMPLETED_BEFORE_KILL);
  // Connections the dead process held are gone once PostgreSQL notices; its open transactions rolled back.
  expect(await invariants()).toEqual(CLEAN);

  const second = await start();
  const res = await fetchGql(second.url, ApiKeyTotalDocument, { filter: { search: 'crash' } }, { 'x-api-key': t.rootKey });
  expect(expectOk(res).apiKeys.totalCount).toBeGreaterThanOrEqual(COMPLETED_BEFORE_KILL);
  second.child.kill('SIGTERM');
  expect((await second.exit).code).toBe(0);
  expect(await invariants()).toEqual(CLEAN);
}, 120_000);
