import { getNamedType, isLeafType, isNonNullType, isObjectType, type GraphQLField, type GraphQLObjectType } from 'graphql';
import { ALL_PERMISSIONS, ALL_SCOPES, maskFromScopes, scopesOf } from '../support/access';
import { type KeygateSchema } from '../../src/graphql/schema';
import { buildSchema } from '../../src/app';
import { databaseState } from '../support/database-state';
import { expectForbidden, expectOk } from '../support/expect';
import { TestApp } from '../support/harness';
import { WebhookReceiver } from '../support/webhook-receiver';
import { Role } from '../../src/kernel/access';

// Literal documents: the issue 8 §1 inputs as reported (their selections are the input), and operations generated from a schema walk.

/**
 * Issue 8 §1: a mutation whose selection needs a scope the caller lacks is refused whole, before
 * anything runs: HTTP 403, FORBIDDEN, `required` listing every missing scope, and nothing changes
 * (no row, audit event, outbox row, delivery or rotated secret).
 */

let t: TestApp;
let built: KeygateSchema;
let receiver: WebhookReceiver;
const txt = new Map<string, string[][]>();

beforeAll(async () => {
  receiver = await WebhookReceiver.start();
  t = await TestApp.create({ overrides: { txtResolver: async (name) => txt.get(name) ?? [] } });
  built = await buildSchema();
});
afterAll(async () => {
  await t.close();
  await receiver.close();
});

const keyFor = new Map<string, string>();
/** A key holding exactly `scopes`. */
async function keyWith(...scopes: string[]): Promise<string> {
  const name = scopes.join(' ') || 'nothing';
  if (!keyFor.has(name)) keyFor.set(name, (await t.createKey(maskFromScopes(scopes), { name: name.slice(0, 100) })).secret);
  return keyFor.get(name)!;
}

const stateNow = () => databaseState(t);

describe('the reported inputs, each refused whole with nothing changed', () => {
  it('createShortLink with only shortLinks:create selecting { id }: 403 shortLinks:read, no link, no redirect; then it works once', async () => {
    const key = await keyWith('shortLinks:create');
    const before = await stateNow();
    const res = await t.gql('mutation { createShortLink(input: { url: "https://example.com/a", slug: "promo" }) { id } }', {}, { key });
    expectForbidden(res, ['shortLinks:read']);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors).toHaveLength(1);
    expect(await stateNow()).toEqual(before);
    expect((await t.app.server.inject({ method: 'GET', url: '/promo' })).statusCode).toBe(404);

    // Selecting nothing it cannot read, the same key creates the link, once: no CONFLICT left behind.
    const ok = await t.gql(
      'mutation { createShortLink(input: { url: "https://example.com/a", slug: "promo" }) { __typename } }',
      {},
      { key },
    );
    expect(expectOk(ok)).toEqual({ createShortLink: { __typename: 'ShortLink' } });
    const redirect = await t.app.server.inject({ method: 'GET', url: '/promo' });
    expect(redirect.statusCode).toBe(302);
    expect(redirect.headers.location).toBe('https://example.com/a');
  });

  it('createDomain with only domains:create: the hostname is not taken', async () => {
    const key = await keyWith('domains:create');
    const before = await stateNow();
    expectForbidden(
      await t.gql('mutation { createDomain(hostname: "taken.acme.test") { id verificationRecord { name value } } }', {}, { key }),
      ['domains:read'],
    );
    expect(await stateNow()).toEqual(before);
    expect(expectOk(await t.gql('mutation { createDomain(hostname: "taken.acme.test") { __typename } }', {}, { key }))).toEqual({
      createDomain: { __typename: 'Domain' },
    });
  });

  it('updateShortLink with only shortLinks:update: the link is unchanged', async () => {
    const link = await t.app.services.shortLinks.create(t.owner.caller, { url: 'https://example.com/before', slug: 'upd' });
    const key = await keyWith('shortLinks:update');
    const before = await stateNow();
    expectForbidden(
      await t.gql(`mutation { updateShortLink(id: "${link.id}", input: { url: "https://evil.example/after" }) { url } }`, {}, { key }),
      ['shortLinks:read'],
    );
    expect(await stateNow()).toEqual(before);
    const [row] = await t.dataSource.query('SELECT url FROM short_links WHERE id = $1', [link.id]);
    expect(row.url).toBe('https://example.com/before');
  });

  it('testWebhook with only webhooks:update: no ping is sent, no event or delivery row', async () => {
    const { webhook } = await t.app.services.webhooks.create(t.owner.caller, { url: receiver.url, events: ['ping'] });
    const key = await keyWith('webhooks:update');
    const before = await stateNow();
    const sentBefore = receiver.received.length;
    expectForbidden(await t.gql(`mutation { testWebhook(id: "${webhook.id}") { succeeded statusCode } }`, {}, { key }), ['webhooks:read']);
    expect(await stateNow()).toEqual(before);
    expect(receiver.received.length).toBe(sentBefore);
  });

  it('rotateWebhookSecret { secret webhook { url } } with only webhooks:update: the secret is not rotated', async () => {
    const { webhook } = await t.app.services.webhooks.create(t.owner.caller, { url: receiver.url, events: ['ping'] });
    const key = await keyWith('webhooks:update');
    const [{ secret_sealed: sealed }] = await t.dataSource.query('SELECT secret_sealed FROM webhooks WHERE id = $1', [webhook.id]);
    const before = await stateNow();
    expectForbidden(await t.gql(`mutation { rotateWebhookSecret(id: "${webhook.id}") { secret webhook { url } } }`, {}, { key }), [
      'webhooks:read',
    ]);
    expect(await stateNow()).toEqual(before);
    expect((await t.dataSource.query('SELECT secret_sealed FROM webhooks WHERE id = $1', [webhook.id]))[0].secret_sealed).toBe(sealed);
  });

  it('setApiKeyStatus(id, ACTIVE) with only apiKeys:update reads nothing of the key', async () => {
    const target = await t.createKey(ALL_PERMISSIONS, { name: 'someone else’s key' });
    const key = await keyWith('apiKeys:update');
    const res = await t.gql(
      `mutation { setApiKeyStatus(id: "${target.id}", status: ACTIVE) { name permissions { scopes } createdBy { name } } }`,
      {},
      { key },
    );
    expectForbidden(res, ['apiKeys:read']);
    expect(JSON.stringify(res.body)).not.toContain('someone else');
    // Toggling without reading is allowed: update is what it holds.
    expect(expectOk(await t.gql(`mutation { setApiKeyStatus(id: "${target.id}", status: INACTIVE) { __typename } }`, {}, { key }))).toEqual(
      {
        setApiKeyStatus: { __typename: 'ApiKey' },
      },
    );
  });

  it('every missing scope is listed, in catalog order, reached through fragments, inline fragments and aliases', async () => {
    const key = await keyWith('shortLinks:create');
    const res = await t.gql(
      `mutation { made: createShortLink(input: { url: "https://example.com/f" }) { ...L ... on ShortLink { stats { totalClicks } } } }
       fragment L on ShortLink { id domain { hostname } }`,
      {},
      { key },
    );
    expectForbidden(res, ['shortLinks:read', 'domains:read', 'stats:read']);
  });

  it('a field skipped by @skip/@include is not required; included by a variable, it is', async () => {
    const key = await keyWith('shortLinks:create');
    const doc = 'mutation($x: Boolean!) { createShortLink(input: { url: "https://example.com/s" }) { __typename id @include(if: $x) } }';
    expectForbidden(await t.gql(doc, { x: true }, { key }), ['shortLinks:read']);
    expect(expectOk(await t.gql(doc, { x: false }, { key }))).toEqual({ createShortLink: { __typename: 'ShortLink' } });
  });

  it('queries keep partial data, decided the same way: one FORBIDDEN per unauthorized field, HTTP 200', async () => {
    const key = await keyWith('shortLinks:read');
    const res = await t.gql('{ shortLinks(first: 1) { nodes { slug clicks } } viewer { kind } }', {}, { key });
    expect(res.status).toBe(200);
    expect(res.body.data!.viewer).toEqual({ kind: 'API_KEY' });
    expect(res.body.errors!.map((e) => e.extensions)).toEqual([{ code: 'FORBIDDEN', required: ['stats:read'] }]);
  });
});

interface PayloadCase {
  mutation: string;
  coordinate: string;
  scope: string;
  selection: string;
}

/** Required (not defaulted) arguments make a field unreachable for a generic walk. */
const reachable = (field: GraphQLField<unknown, unknown>) => !field.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined);

/** Every guarded field reachable in a mutation's payload, with the shortest selection that reaches it. */
function payloadCases(schema: KeygateSchema): PayloadCase[] {
  const mutationType = schema.schema.getMutationType()!;
  const cases: PayloadCase[] = [];
  for (const mutation of Object.values(mutationType.getFields())) {
    const own = schema.requirements.of(mutationType.name, mutation.name);
    const root = getNamedType(mutation.type);
    if (!isObjectType(root)) continue;
    const seen = new Set<string>();
    const queue: { type: GraphQLObjectType; path: string[] }[] = [{ type: root, path: [] }];
    while (queue.length) {
      const { type, path } = queue.shift()!;
      for (const field of Object.values(type.getFields())) {
        if (!reachable(field)) continue;
        const coordinate = `${type.name}.${field.name}`;
        if (seen.has(coordinate)) continue;
        seen.add(coordinate);
        const target = getNamedType(field.type);
        const leaf = isLeafType(target) ? field.name : `${field.name} { __typename }`;
        const selection = [...path, leaf].reduceRight((inner, outer, i) => (i === path.length ? inner : `${outer} { ${inner} }`));
        for (const scope of scopesOf(schema.requirements.of(type.name, field.name) & ~own)) {
          cases.push({ mutation: mutation.name, coordinate, scope, selection });
        }
        if (isObjectType(target)) queue.push({ type: target, path: [...path, field.name] });
      }
    }
  }
  return cases;
}

describe('generated: every mutation × every guarded field of its payload', () => {
  /** Arguments that make each mutation succeed, so a refusal is what keeps it from changing things. */
  const args: Record<string, string> = {};

  beforeAll(async () => {
    const key = async (name: string) => (await t.createKey(ALL_PERMISSIONS, { name })).id;
    const member = async (email: string) => (await t.addMember(email, Role.VIEWER)).userId;
    const link = async (slug: string) => (await t.app.services.shortLinks.create(t.owner.caller, { url: 'https://example.com/', slug })).id;
    const domain = async (hostname: string) => t.app.services.domains.create(t.owner.caller, hostname);
    const webhook = async () => (await t.app.services.webhooks.create(t.owner.caller, { url: receiver.url, events: ['ping'] })).webhook.id;
    const toVerify = await domain('verify.acme.test');
    txt.set(toVerify.verificationRecord.name, [[toVerify.verificationRecord.value]]);

    Object.assign(args, {
      createApiKey: 'input: { name: "generated", permissions: { stats: [read] } }',
      rotateApiKey: `id: "${await key('to rotate')}"`,
      updateApiKey: `id: "${await key('to update')}", input: { name: "updated" }`,
      setApiKeyStatus: `id: "${await key('to disable')}", status: INACTIVE`,
      revokeApiKey: `id: "${await key('to revoke')}", reason: "generated"`,
      deleteApiKey: `id: "${await key('to delete')}"`,
      addMember: 'email: "added@acme.test", role: VIEWER',
      updateMemberRole: `userId: "${await member('promote@acme.test')}", role: MEMBER`,
      removeMember: `userId: "${await member('remove@acme.test')}"`,
      createDomain: 'hostname: "generated.acme.test"',
      verifyDomain: `id: "${toVerify.id}"`,
      deleteDomain: `id: "${(await domain('delete.acme.test')).id}"`,
      createShortLink: 'input: { url: "https://example.com/generated" }',
      updateShortLink: `id: "${await link('gen-update')}", input: { title: "updated" }`,
      deleteShortLink: `id: "${await link('gen-delete')}"`,
      createWebhook: `input: { url: "${receiver.url}", events: ["ping"] }`,
      updateWebhook: `id: "${await webhook()}", input: { description: "updated" }`,
      rotateWebhookSecret: `id: "${await webhook()}"`,
      deleteWebhook: `id: "${await webhook()}"`,
      testWebhook: `id: "${await webhook()}"`,
      redeliverWebhookDelivery: `id: "${(await t.app.services.webhooks.test(t.owner.caller, await webhook())).id}"`,
    });
  });

  it('knows valid arguments for every mutation of the schema (a new mutation must be added here)', () => {
    expect(Object.keys(args).sort()).toEqual(Object.keys(built.schema.getMutationType()!.getFields()).sort());
  });

  it('a principal holding everything but the field’s scope gets 403 FORBIDDEN naming it, and no table changes', async () => {
    const cases = payloadCases(built);
    // The payloads really are guarded: keys, members, links, domains, webhooks and deliveries.
    expect(new Set(cases.map((c) => c.coordinate.split('.')[0]))).toEqual(
      new Set(['ApiKey', 'Member', 'RemovedMember', 'Domain', 'ShortLink', 'Webhook', 'WebhookDelivery', 'LinkClicks']),
    );
    const before = await stateNow();
    const sent = receiver.received.length;
    const allBut = new Map<string, string>();
    for (const { scope, mask } of ALL_SCOPES)
      allBut.set(scope, (await t.createKey(ALL_PERMISSIONS & ~mask, { name: `all but ${scope}` })).secret);
    const afterKeys = await stateNow();

    for (const c of cases) {
      const operation = `mutation { ${c.mutation}(${args[c.mutation]}) { ${c.selection} } }`;
      const res = await t.gql(operation, {}, { key: allBut.get(c.scope)! });
      try {
        expectForbidden(res, [c.scope]);
        expect(res.body.data).toBeUndefined();
      } catch (error) {
        throw new Error(`${c.mutation} → ${c.coordinate} without ${c.scope}: ${operation}\n${JSON.stringify(res.body)}\n${String(error)}`, {
          cause: error,
        });
      }
    }
    expect(await stateNow()).toEqual(afterKeys);
    expect(Object.keys(afterKeys)).toEqual(Object.keys(before));
    expect(receiver.received.length).toBe(sent);
    expect(cases.length).toBeGreaterThan(100);
  });

  it('the same mutations, allowed, do change things (the refusals above were not vacuous)', async () => {
    for (const [mutation, a] of Object.entries(args)) {
      const field = built.schema.getMutationType()!.getFields()[mutation];
      const selection = isLeafType(getNamedType(field.type)) ? '' : ' { __typename }';
      const before = await stateNow();
      const res = await t.gql(`mutation { ${mutation}(${a})${selection} }`);
      expect({ mutation, errors: res.body.errors }).toEqual({ mutation, errors: undefined });
      expect({ mutation, changed: JSON.stringify(await stateNow()) !== JSON.stringify(before) }).toEqual({ mutation, changed: true });
    }
  });
});
