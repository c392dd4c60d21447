import { maskFromScopes } from '../support/access';
import { Role } from '../../src/kernel/access';
import {
  AddMemberBareDocument,
  CreateApiKeySecretDocument,
  CreateDomainBareDocument,
  CreateShortLinkBareDocument,
  CreateWebhookSecretDocument,
} from '../generated/graphql';
import { expectOk, expectRuleRefusal } from '../support/expect';
import { TestApp } from '../support/harness';

// Literal documents: the reads and subscriptions of issue 8 §3 and §4, as reported; the changes that produce events come from codegen.

/**
 * Issue 8 §3 and §4: data leaves only to those who may read it, also through the audit log and
 * webhook subscriptions. Each audit event belongs to the resource of its target; actor emails,
 * IP addresses and user agents are member data.
 */

let t: TestApp;
const USER_AGENT = 'keygate-tests';

beforeAll(async () => {
  // hooks.example.com and attacker.example.com resolve to a public address (the SSRF guard asks).
  t = await TestApp.create({ overrides: { webhookLookup: async () => [{ address: '93.184.216.34', family: 4 }] } });
  // One change of each kind, made by the owner's session (a USER actor, with IP and user agent).
  const owner = { token: t.owner.token };
  expectOk(await t.gql(CreateShortLinkBareDocument, { input: { url: 'https://example.com/secret-plan', slug: 'secret-slug' } }, owner));
  expectOk(await t.gql(CreateDomainBareDocument, { hostname: 'private.acme.test' }, owner));
  expectOk(await t.gql(CreateWebhookSecretDocument, { input: { url: 'https://hooks.example.com/private', events: ['ping'] } }, owner));
  expectOk(await t.gql(AddMemberBareDocument, { email: 'hidden.person@acme.test', role: 'VIEWER' }, owner));
  expectOk(await t.gql(CreateApiKeySecretDocument, { input: { name: 'made by a person', permissions: {} } }, owner));
});
afterAll(() => t.close());

const AUDIT = '{ auditLog(first: 100) { totalCount nodes { action targetType targetName metadata actor { kind name } ip userAgent } } }';

async function auditAs(scopes: string[]) {
  const key = (await t.createKey(maskFromScopes(scopes), { name: `reader ${scopes.join(' ')}` })).secret;
  const res = await t.gql(AUDIT, {}, { key });
  return expectOk(res).auditLog as {
    totalCount: number;
    nodes: {
      action: string;
      targetType: string;
      targetName: string;
      actor: { kind: string; name: string };
      ip: string | null;
      userAgent: string | null;
    }[];
  };
}

describe('auditLog returns only events whose resource the reader can read', () => {
  it('apiKeys:read alone: key events only; no link URLs, webhook URLs, hostnames or member emails', async () => {
    const log = await auditAs(['apiKeys:read']);
    expect(new Set(log.nodes.map((e) => e.targetType))).toEqual(new Set(['API_KEY']));
    expect(log.totalCount).toBe(log.nodes.length);
    const text = JSON.stringify(log);
    for (const secret of [
      'secret-plan',
      'secret-slug',
      'hooks.example.com/private',
      'private.acme.test',
      'hidden.person@acme.test',
      'owner@acme.test',
    ]) {
      expect(text).not.toContain(secret);
    }
    // …while the resources themselves answer 403 to the same key.
    const key = (await t.createKey(maskFromScopes(['apiKeys:read']), { name: 'only apiKeys:read' })).secret;
    for (const query of ['{ shortLinks { totalCount } }', '{ webhooks { id } }', '{ domains { id } }', '{ members { role } }']) {
      expect((await t.gql(query, {}, { key })).status).toBe(403);
    }
  });

  it.each([
    ['shortLinks', 'SHORT_LINK', 'secret-slug'],
    ['domains', 'DOMAIN', 'private.acme.test'],
    ['webhooks', 'WEBHOOK', 'https://hooks.example.com/private'],
  ])('apiKeys:read + %s:read adds exactly the %s events', async (resource, targetType, name) => {
    const log = await auditAs(['apiKeys:read', `${resource}:read`]);
    expect(new Set(log.nodes.map((e) => e.targetType))).toEqual(new Set(['API_KEY', targetType]));
    expect(log.nodes.find((e) => e.targetType === targetType)!.targetName).toBe(name);
  });

  it('member and organization events need members:read', async () => {
    const log = await auditAs(['apiKeys:read', 'members:read']);
    expect(new Set(log.nodes.map((e) => e.targetType))).toEqual(new Set(['API_KEY', 'MEMBER', 'ORGANIZATION']));
    expect(log.nodes.find((e) => e.action === 'MEMBER_ADDED')!.targetName).toBe('hidden.person@acme.test');
  });

  it('actor emails, IPs and user agents only with members:read', async () => {
    const without = await auditAs(['apiKeys:read']);
    const byPerson = without.nodes.find((e) => e.targetName === 'made by a person')!;
    expect(byPerson.actor).toEqual({ kind: 'USER', name: '(hidden: needs members:read)' });
    expect(without.nodes.every((e) => e.ip === null && e.userAgent === null)).toBe(true);

    const withMembers = await auditAs(['apiKeys:read', 'members:read']);
    const seen = withMembers.nodes.find((e) => e.targetName === 'made by a person')!;
    expect(seen.actor).toEqual({ kind: 'USER', name: 'owner@acme.test' });
    expect(seen.userAgent).toBe(USER_AGENT);
    expect(seen.ip).toBe('127.0.0.1');
  });

  it('a filter on another resource’s target finds nothing, rather than leaking it', async () => {
    const [{ id }] = await t.dataSource.query("SELECT target_id AS id FROM audit_events WHERE action = 'MEMBER_ADDED'");
    const key = (await t.createKey(maskFromScopes(['apiKeys:read']), { name: 'filtering reader' })).secret;
    const res = await t.gql('query($id: ID!) { auditLog(filter: { targetId: $id }) { totalCount nodes { action } } }', { id }, { key });
    expect(expectOk(res).auditLog).toEqual({ totalCount: 0, nodes: [] });
  });

  it('ApiKey.createdBy follows the same rule: a person’s email only with members:read', async () => {
    const query = '{ apiKeys(filter: { search: "made by a person" }) { nodes { createdBy { kind name } } } }';
    const without = (await t.createKey(maskFromScopes(['apiKeys:read']), { name: 'createdBy reader' })).secret;
    expect(expectOk(await t.gql(query, {}, { key: without })).apiKeys.nodes).toEqual([
      { createdBy: { kind: 'USER', name: '(hidden: needs members:read)' } },
    ]);
    const withMembers = (await t.createKey(maskFromScopes(['apiKeys:read', 'members:read']), { name: 'createdBy reader 2' })).secret;
    expect(expectOk(await t.gql(query, {}, { key: withMembers })).apiKeys.nodes).toEqual([
      { createdBy: { kind: 'USER', name: 'owner@acme.test' } },
    ]);
  });
});

describe('webhook subscriptions need read on each event’s resource', () => {
  const CREATE =
    'mutation($events: [String!]!) { createWebhook(input: { url: "https://hooks.example.com/in", events: $events }) { secret } }';
  const countWebhooks = async () => (await t.dataSource.query('SELECT count(*)::int AS n FROM webhooks'))[0].n;

  it.each([
    [['member.added'], ['members:read']],
    [['apiKey.created'], ['apiKeys:read']],
    [
      ['member.added', 'apiKey.created'],
      ['apiKeys:read', 'members:read'],
    ],
    [['organization.created'], ['members:read']],
    [['shortLink.created'], ['shortLinks:read']],
    [['domain.verified'], ['domains:read']],
    [['webhook.disabled'], ['webhooks:read']],
  ])('a key with only webhooks:create subscribing to %j: 403 EVENT_NEEDS_READ %j, nothing created', async (events, required) => {
    const key = (await t.createKey(maskFromScopes(['webhooks:create']), { name: `subscriber ${events.join(' ')}` })).secret;
    const before = await countWebhooks();
    expectRuleRefusal(await t.gql(CREATE, { events }, { key }), 'EVENT_NEEDS_READ', required);
    expect(await countWebhooks()).toBe(before);
  });

  it('the ping needs nothing beyond webhooks:create', async () => {
    const key = (await t.createKey(maskFromScopes(['webhooks:create']), { name: 'ping subscriber' })).secret;
    expect(expectOk(await t.gql(CREATE, { events: ['ping'] }, { key })).createWebhook.secret).toMatch(/^whsec_/);
  });

  it('a MEMBER session (no members or apiKeys scopes) cannot subscribe to member.added or apiKey.created, but can to shortLink.created', async () => {
    const member = await t.addMember('subscriber@acme.test', Role.MEMBER);
    expectRuleRefusal(await t.gql(CREATE, { events: ['member.added', 'apiKey.created'] }, { token: member.token }), 'EVENT_NEEDS_READ', [
      'apiKeys:read',
      'members:read',
    ]);
    expect(expectOk(await t.gql(CREATE, { events: ['shortLink.created'] }, { token: member.token })).createWebhook.secret).toMatch(
      /^whsec_/,
    );
  });

  it('pointing an existing member.added endpoint somewhere else needs members:read too', async () => {
    const { webhook } = await t.app.services.webhooks.create(t.owner.caller, {
      url: 'https://hooks.example.com/members',
      events: ['member.added'],
    });
    const update = `mutation { updateWebhook(id: "${webhook.id}", input: { url: "https://attacker.example.com/steal" }) { __typename } }`;
    const key = (await t.createKey(maskFromScopes(['webhooks:update']), { name: 'redirector' })).secret;
    expectRuleRefusal(await t.gql(update, {}, { key }), 'EVENT_NEEDS_READ', ['members:read']);
    expect((await t.dataSource.query('SELECT url FROM webhooks WHERE id = $1', [webhook.id]))[0].url).toBe(
      'https://hooks.example.com/members',
    );
    const allowed = (await t.createKey(maskFromScopes(['webhooks:update', 'members:read']), { name: 'member reader' })).secret;
    expectOk(await t.gql(update, {}, { key: allowed }));
  });
});

describe('webhook payloads hold no more than the subscription’s read shows', () => {
  async function lastPayload(type: string): Promise<{ data: { actor: Record<string, unknown> } }> {
    const [row] = await t.dataSource.query('SELECT payload FROM webhook_events WHERE type = $1 ORDER BY created_at DESC, id DESC LIMIT 1', [
      type,
    ]);
    return row.payload;
  }

  it('apiKey.created by a person carries the actor’s id, not their email', async () => {
    expectOk(await t.gql(CreateApiKeySecretDocument, { input: { name: 'payload check', permissions: {} } }, { token: t.owner.token }));
    expect((await lastPayload('apiKey.created')).data.actor).toEqual({ kind: 'USER', id: t.owner.userId });
  });

  it('apiKey.created by a key carries the key’s name (key data, readable by the subscriber)', async () => {
    expectOk(await t.gql(CreateApiKeySecretDocument, { input: { name: 'payload check 2', permissions: {} } }));
    expect((await lastPayload('apiKey.created')).data.actor).toEqual({
      kind: 'API_KEY',
      id: expect.any(String),
      name: expect.stringMatching(/^bootstrap \(sk_live_/),
    });
  });

  it('member.added by a person carries their email (member data, readable by the subscriber)', async () => {
    expectOk(await t.gql(AddMemberBareDocument, { email: 'payload@acme.test', role: 'VIEWER' }, { token: t.owner.token }));
    expect((await lastPayload('member.added')).data.actor).toEqual({ kind: 'USER', id: t.owner.userId, name: 'owner@acme.test' });
  });

  it('shortLink.created by a key carries no key name', async () => {
    expectOk(await t.gql(CreateShortLinkBareDocument, { input: { url: 'https://example.com/p' } }));
    expect((await lastPayload('shortLink.created')).data.actor).toEqual({ kind: 'API_KEY', id: expect.any(String) });
  });
});
