import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildSchema, type GraphQLSchema } from 'graphql';
import { KEYGATE } from '../../src/modules';
import { Role } from '../../src/kernel/access';
import { ALL_SCOPES, MEMBER_SCOPES, VIEWER_SCOPES, maskFromScopes } from '../support/access';
import { TestApp, type SecondInstance } from '../support/harness';
import { hostileStrings } from './hostile-strings';
import { SideEffects } from './oracles';
import type { Pools } from './schema-documents';

export interface Principal {
  name: string;
  headers: Record<string, string>;
  scopes: ReadonlySet<string>;
  /** Ids of the organization this principal does not belong to: none may appear in its data. */
  foreignIds: ReadonlySet<string>;
}

export interface FuzzEnvironment {
  t: TestApp;
  reference: SecondInstance;
  schema: GraphQLSchema;
  principals: Principal[];
  pools: Pools;
  secrets: string[];
  effects: SideEffects;
  logLines: string[];
  /** More objects to aim changes at (run between cases, never during one: the mutation oracle digests the tables). */
  replenish(): Promise<void>;
  close(): Promise<void>;
}

const SCOPE_SETS: string[][] = [
  ['stats:read'],
  ['shortLinks:read'],
  ['apiKeys:read'],
  ['apiKeys:create', 'apiKeys:read'],
  ['shortLinks:create', 'shortLinks:update', 'domains:read', 'webhooks:read', 'webhooks:create'],
];

/** keygate in its compiled configuration, a graphql-js reference beside it, principals, objects to aim at, the watchers. */
export async function prepare(): Promise<FuzzEnvironment> {
  const logLines: string[] = [];
  const t = await TestApp.create({
    env: { GRAPHQL_EXECUTOR: 'jit', GRAPHQL_COMPILE_AFTER: '1' },
    logLines,
    // No real DNS: every webhook host is loopback (port 443 or 80: nothing listens, nothing is sent), no TXT record exists.
    overrides: { webhookLookup: async () => [{ address: '127.0.0.1', family: 4 }], txtResolver: async () => [] },
  });
  const reference = await t.secondInstance({ GRAPHQL_EXECUTOR: 'graphql-js', RATE_LIMITS_ENABLED: 'false' }, { sharePool: true });
  // Usage and click counters stay in memory, so a read never changes a row (the mutation oracle relies on it).
  for (const app of [t.app, reference.app]) await Promise.all([app.services.usage.stop(), app.services.clicks.stop()]);

  const other = await t.createOtherOrganization('Elsewhere');
  const otherLink = await t.app.services.shortLinks.create(other.owner.caller, { url: 'https://example.com/theirs' });
  const otherKey = await t.createKey({ stats: ['read'] }, { name: 'theirs', by: other.owner });
  // Objects an organization owns. People are not among them: one person may belong to several
  // organizations (addMember by email returns the same user to each).
  const ours: string[] = [t.org.id];
  const theirs = new Set([other.org.id, otherLink.id, otherKey.id]);

  const secrets = [t.rootKey, other.rootKey, otherKey.secret];
  const principals: Principal[] = [
    { name: 'root key', headers: { 'x-api-key': t.rootKey }, scopes: new Set(ALL_SCOPES.map((s) => s.scope)), foreignIds: theirs },
  ];
  for (const scopes of SCOPE_SETS) {
    const key = await t.createKey(maskFromScopes(scopes as never), { name: `fuzz ${scopes.join(' ')}` });
    secrets.push(key.secret);
    principals.push({ name: `key ${scopes.join(' ')}`, headers: { 'x-api-key': key.secret }, scopes: new Set(scopes), foreignIds: theirs });
  }
  for (const [role, scopes] of [
    [Role.MEMBER, MEMBER_SCOPES],
    [Role.VIEWER, VIEWER_SCOPES],
  ] as const) {
    const member = await t.addMember(`${role.toLowerCase()}@acme.test`, role);
    principals.push({
      name: `${role} session`,
      headers: { authorization: `Bearer ${member.token}` },
      scopes: new Set(scopes),
      foreignIds: theirs,
    });
  }
  principals.push({
    name: 'another organization’s root key',
    headers: { 'x-api-key': other.rootKey },
    scopes: new Set(ALL_SCOPES.map((s) => s.scope)),
    foreignIds: new Set(ours),
  });

  // Objects to aim changes at, topped up as the campaign spends them (keys revoked, links deleted).
  const bank: string[] = [...theirs, other.owner.userId, t.owner.userId, randomUUID(), '00000000-0000-4000-8000-000000000000'];
  const replenish = async () => {
    const link = await t.app.services.shortLinks.create(t.owner.caller, { url: `https://example.com/${randomUUID()}` });
    const key = await t.createKey({ stats: ['read'] }, { name: 'victim' });
    const webhook = await t.app.services.webhooks.create(t.owner.caller, { url: 'https://hooks.example.com/in', events: ['ping'] });
    const domain = await t.app.services.domains.create(t.owner.caller, `d${Date.now()}${bank.length}.example.com`);
    const member = await t.addMember(`victim-${randomUUID()}@acme.test`, Role.MEMBER);
    secrets.push(key.secret, webhook.secret);
    bank.push(link.id, key.id, webhook.webhook.id, domain.id, member.userId);
    ours.push(link.id, key.id, webhook.webhook.id, domain.id);
  };
  await replenish();

  const markerPath = path.join(tmpdir(), `keygate-fuzz-${process.pid}`);
  rmSync(markerPath, { force: true });
  const effects = await SideEffects.watch(markerPath);
  const pools: Pools = { hostile: hostileStrings(markerPath, effects.port), ids: () => bank, events: KEYGATE.events.eventTypes };
  const schema = buildSchema(readFileSync(path.resolve(__dirname, '../../schema/schema.graphql'), 'utf8'));
  return {
    t,
    reference,
    schema,
    principals,
    pools,
    secrets,
    effects,
    logLines,
    replenish,
    async close() {
      await effects.close();
      rmSync(markerPath, { force: true });
      await reference.close();
      await t.close();
    },
  };
}
