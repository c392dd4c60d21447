import { Role } from '../../src/kernel/access';
import {
  DeleteDomainDocument,
  MemberCapabilitiesDocument,
  ObjectCapabilitiesDocument,
  RemoveMemberBareDocument,
  UpdateMemberRoleBareDocument,
  UpdateWebhookDocument,
} from '../generated/graphql';
import { expectOk } from '../support/expect';
import { TestApp, type Member } from '../support/harness';

/**
 * viewerCan on members, links, domains and webhooks: the reason a console shows next to a
 * disabled control, and the same refusal the mutation then gives.
 */
let t: TestApp;
let admin: Member;
let viewer: Member;

beforeAll(async () => {
  t = await TestApp.create();
  admin = await t.addMember('admin@objects.test', Role.ADMIN);
  viewer = await t.addMember('viewer@objects.test', Role.VIEWER);
  const link = await t.app.services.shortLinks.create(t.owner.caller, { url: 'https://example.com/a' });
  const domain = await t.app.services.domains.create(t.owner.caller, 'go.objects.test');
  await t.app.services.shortLinks.create(t.owner.caller, { url: 'https://example.com/b', domainId: domain.id });
  await t.app.services.webhooks.create(t.owner.caller, { url: 'http://127.0.0.1:9/hook', events: ['member.added', 'shortLink.created'] });
  expect(link.id).toBeDefined();
});
afterAll(() => t.close());

const memberCan = async (as: Member, email: string) =>
  expectOk(await t.gql(MemberCapabilitiesDocument, {}, { token: as.token })).members.find((m) => m.user.email === email)!;

describe('Member.viewerCan', () => {
  it('the only owner cannot be demoted or removed, even by themself: CONFLICT, as the mutations answer', async () => {
    const me = await memberCan(t.owner, t.owner.email);
    expect(me.viewerCan).toEqual({
      updateRole: false,
      remove: false,
      reasons: [
        {
          action: 'updateRole',
          code: 'CONFLICT',
          required: [],
          rule: null,
          reason: 'Cannot demote the last owner of the organization; make someone else an owner first.',
        },
        {
          action: 'remove',
          code: 'CONFLICT',
          required: [],
          rule: null,
          reason: 'Cannot remove the last owner of the organization; make someone else an owner first.',
        },
      ],
    });
    const demote = await t.gql(UpdateMemberRoleBareDocument, { userId: t.owner.userId, role: 'ADMIN' }, { token: t.owner.token });
    expect(demote.body.errors![0]).toMatchObject({ message: me.viewerCan.reasons[0].reason, extensions: { code: 'CONFLICT' } });
    const remove = await t.gql(RemoveMemberBareDocument, { userId: t.owner.userId }, { token: t.owner.token });
    expect(remove.body.errors![0]).toMatchObject({ message: me.viewerCan.reasons[1].reason, extensions: { code: 'CONFLICT' } });
  });

  it('an admin may manage the viewer but not the owner (OWNER_ONLY)', async () => {
    expect((await memberCan(admin, viewer.email)).viewerCan).toEqual({ updateRole: true, remove: true, reasons: [] });
    const owner = await memberCan(admin, t.owner.email);
    expect(owner.viewerCan.updateRole).toBe(false);
    expect(owner.viewerCan.reasons.map((r) => [r.action, r.code, r.rule])).toEqual([
      ['updateRole', 'FORBIDDEN', 'OWNER_ONLY'],
      ['remove', 'FORBIDDEN', 'OWNER_ONLY'],
    ]);
    const res = await t.gql(RemoveMemberBareDocument, { userId: t.owner.userId }, { token: admin.token });
    expect(res.body.errors![0]).toMatchObject({
      message: owner.viewerCan.reasons[1].reason,
      extensions: { code: 'FORBIDDEN', rule: 'OWNER_ONLY' },
    });
  });

  it('a key holding members:read only sees every action refused with the scope it lacks', async () => {
    const key = await t.createKey({ members: ['read'] });
    const res = expectOk(await t.gql(MemberCapabilitiesDocument, {}, { key: key.secret }));
    for (const m of res.members) {
      expect(m.viewerCan.reasons.map((r) => [r.action, r.required])).toEqual([
        ['updateRole', ['members:update']],
        ['remove', ['members:delete']],
      ]);
    }
  });
});

describe('ShortLink, Domain and Webhook viewerCan', () => {
  it('a VIEWER session sees every action refused with the scope it lacks', async () => {
    const data = expectOk(await t.gql(ObjectCapabilitiesDocument, {}, { token: viewer.token }));
    expect(data.shortLinks.nodes[0].viewerCan).toMatchObject({ update: false, delete: false });
    expect(data.shortLinks.nodes[0].viewerCan.reasons.map((r) => [r.action, r.required, r.reason])).toEqual([
      ['update', ['shortLinks:update'], 'Missing permission shortLinks:update.'],
      ['delete', ['shortLinks:delete'], 'Missing permission shortLinks:delete.'],
    ]);
    expect(data.domains[0].viewerCan.reasons.map((r) => r.required)).toEqual([['domains:update'], ['domains:delete']]);
    expect(data.webhooks[0].viewerCan.reasons.map((r) => [r.action, r.required])).toEqual([
      ['update', ['webhooks:update']],
      ['rotateSecret', ['webhooks:update']],
      ['test', ['webhooks:update']],
      ['redeliver', ['webhooks:update']],
      ['delete', ['webhooks:delete']],
    ]);
  });

  it('the owner may do everything', async () => {
    const data = expectOk(await t.gql(ObjectCapabilitiesDocument, {}, { token: t.owner.token }));
    expect(data.shortLinks.nodes.every((l) => l.viewerCan.update && l.viewerCan.delete)).toBe(true);
    expect(data.domains[0].viewerCan).toEqual({ verify: true, delete: true, reasons: [] });
    expect(data.webhooks[0].viewerCan).toEqual({ update: true, rotateSecret: true, test: true, delete: true, reasons: [] });
  });

  it('a domain with links cannot be deleted without shortLinks:delete; deleteDomain(force) says the same', async () => {
    const key = await t.createKey({ domains: ['read', 'delete'], shortLinks: ['read'], webhooks: ['read'] });
    const data = expectOk(await t.gql(ObjectCapabilitiesDocument, {}, { key: key.secret }));
    const domain = data.domains[0];
    expect(domain.linkCount).toBe(1);
    expect(domain.viewerCan.delete).toBe(false);
    const reason = domain.viewerCan.reasons.find((r) => r.action === 'delete')!;
    expect(reason).toEqual({
      action: 'delete',
      code: 'FORBIDDEN',
      required: ['shortLinks:delete'],
      rule: null,
      reason: 'Deleting it deletes its 1 short link(s) too (force: true), which needs shortLinks:delete.',
    });
    const res = await t.gql(DeleteDomainDocument, { id: domain.id, force: true }, { key: key.secret });
    expect(res.body.errors![0]).toMatchObject({
      message: reason.reason,
      extensions: { code: 'FORBIDDEN', required: ['shortLinks:delete'] },
    });
  });

  it('a webhook receiving member events cannot be updated by a key that cannot read members (EVENT_NEEDS_READ)', async () => {
    const key = await t.createKey({ webhooks: ['read', 'update'], shortLinks: ['read'], domains: ['read'] });
    const hook = expectOk(await t.gql(ObjectCapabilitiesDocument, {}, { key: key.secret })).webhooks[0];
    expect(hook.viewerCan).toMatchObject({ update: false, rotateSecret: true, test: true, delete: false });
    const reason = hook.viewerCan.reasons.find((r) => r.action === 'update')!;
    expect(reason).toMatchObject({ code: 'FORBIDDEN', rule: 'EVENT_NEEDS_READ', required: ['members:read'] });
    const res = await t.gql(UpdateWebhookDocument, { id: hook.id, input: { description: 'x' } }, { key: key.secret });
    expect(res.body.errors![0]).toMatchObject({
      message: reason.reason,
      extensions: { code: 'FORBIDDEN', rule: 'EVENT_NEEDS_READ', required: ['members:read'] },
    });
  });
});
