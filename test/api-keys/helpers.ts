import { createHash } from 'node:crypto';
import { ALL_PERMISSIONS, bit } from '../support/access';
import { type Action, type Resource } from '../../src/kernel/permissions';
import { AuditLogDocument, ViewerDocument, ViewerPrincipalDocument } from '../generated/graphql';
import { expectOk } from '../support/expect';
import { TestApp, type OtherOrganization } from '../support/harness';

/**
 * The setup every API-key suite shares: one app with its bootstrapped organization (owner, root
 * key) and a second organization, "Elsewhere", to prove isolation against. Registers the suite's
 * beforeAll and afterAll; `ready` receives both once they exist:
 *
 *     let t: TestApp;
 *     let other: OtherOrganization;
 *     apiKeySuite((suite) => ({ t, other } = suite));
 */
export function apiKeySuite(ready: (suite: { t: TestApp; other: OtherOrganization }) => void): void {
  let app: TestApp | undefined;
  beforeAll(async () => {
    app = await TestApp.create();
    ready({ t: app, other: await app.createOtherOrganization('Elsewhere') });
  });
  afterAll(() => app?.close());
}

/** Asserts that `secret` authenticates (a request needing no scope succeeds). */
export async function works(t: TestApp, secret: string) {
  return expectOk(await t.gql(ViewerPrincipalDocument, {}, { key: secret }));
}

/** The id of a key that existed and was deleted. */
export async function deletedKeyId(t: TestApp, name: string): Promise<string> {
  const key = await t.createKey({ stats: ['read'] }, { name });
  await t.app.services.apiKeys.delete(t.owner.caller, key.id);
  return key.id;
}

/** The documented key shape (docs/keys.md): prefix, 64 lowercase hex, 6 base62 checksum characters. */
export const KEY_SHAPE = /^sk_live_[0-9a-f]{64}[0-9A-Za-z]{6}$/;

/** A well-formed UUID that no row has. */
export const MISSING_ID = '5b0c3a8e-9d1f-4e2a-8c7b-000000000000';

export const DAY_MS = 24 * 3600 * 1000;

export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** Every permission except `resource:action`: the key that lacks only that scope. */
export const allBut = (resource: Resource, action: Action) => ALL_PERMISSIONS & ~bit(resource, action);

export async function countRows(t: TestApp, sql: string, params: unknown[] = []): Promise<number> {
  const [row] = await t.dataSource.query(`SELECT count(*)::int AS n FROM (${sql}) q`, params);
  return row.n;
}

export const countKeys = (t: TestApp) => countRows(t, 'SELECT 1 FROM api_keys');
export const countAudit = (t: TestApp) => countRows(t, 'SELECT 1 FROM audit_events');

/** The audit events about one target, newest first, read through the API as the root key. */
export async function auditOf(t: TestApp, targetId: string, action?: string) {
  const res = await t.gql(AuditLogDocument, { first: 100, filter: { targetId, ...(action ? { action } : {}) } });
  return expectOk(res).auditLog.nodes;
}

/** The key id of the bootstrap root key (the default principal of `t.gql`). */
export async function rootKeyId(t: TestApp): Promise<{ id: string; name: string }> {
  const viewer = expectOk(await t.gql(ViewerDocument, {})).viewer;
  return { id: viewer.apiKey!.id, name: viewer.apiKey!.name };
}

/** The whole database (every table of every user schema) as text, to search for leaked secrets. */
export async function databaseText(t: TestApp): Promise<string> {
  const tables: { schema: string; name: string }[] = await t.dataSource.query(
    `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
      WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
  );
  const parts: string[] = [];
  for (const { schema, name } of tables) {
    const [row] = await t.dataSource.query(`SELECT coalesce(json_agg(x)::text, '') AS dump FROM "${schema}"."${name}" x`);
    parts.push(`${schema}.${name}: ${row.dump}`);
  }
  return parts.join('\n');
}

/** The 64 random hex characters of a key, which must never be stored or returned. */
export const bodyOf = (secret: string) => secret.slice('sk_live_'.length, 'sk_live_'.length + 64);

/** Approximately equal instants (ISO strings or Dates), within `toleranceMs`. */
export function expectNear(actual: string | Date | null | undefined, expected: number, toleranceMs = 60_000): void {
  expect(actual).not.toBeNull();
  expect(actual).toBeDefined();
  expect(Math.abs(new Date(actual!).getTime() - expected)).toBeLessThan(toleranceMs);
}
