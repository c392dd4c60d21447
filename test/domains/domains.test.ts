import {
  CreateDomainDocument,
  CreateShortLinkIdDocument,
  DeleteDomainDocument,
  DomainsDocument,
  VerifyDomainDocument,
} from '../generated/graphql';
import { expectError, expectForbidden, expectOk } from '../support/expect';
import { TestApp } from '../support/harness';

/** DNS answers for names these tests do not own; everything else fails like NXDOMAIN. */
const txt = new Map<string, string[][]>();
let t: TestApp;
beforeAll(async () => {
  t = await TestApp.create({
    overrides: {
      txtResolver: async (name) => {
        const records = txt.get(name);
        if (!records) throw Object.assign(new Error('queryTxt ENOTFOUND'), { code: 'ENOTFOUND' });
        return records;
      },
    },
  });
});
afterAll(() => t.close());

const create = (hostname: string, app = t, key = app.rootKey) => app.gql(CreateDomainDocument, { hostname }, { key });
const verify = (id: string, key = t.rootKey) => t.gql(VerifyDomainDocument, { id }, { key });
const remove = (id: string, options: { force?: boolean; key?: string } = {}) =>
  t.gql(DeleteDomainDocument, options.force === undefined ? { id } : { id, force: options.force }, { key: options.key ?? t.rootKey });

describe('createDomain', () => {
  it('lower-cases, trims a trailing dot, and gives a TXT record to publish', async () => {
    const d = expectOk(await create('Links.Example.COM.')).createDomain;
    expect(d).toMatchObject({ hostname: 'links.example.com', verified: false, linkCount: 0 });
    expect(d.verificationRecord.name).toBe('_keygate.links.example.com');
    expect(d.verificationRecord.value).toMatch(/^keygate-verification=[0-9a-f]{32}$/);
  });

  it('stores internationalized names as punycode (IDNA)', async () => {
    expect(expectOk(await create('Bücher.example')).createDomain.hostname).toBe('xn--bcher-kva.example');
  });

  it.each([
    ['10.0.0.1', 'hostname must be a domain name, not an IP address.'],
    ['[::1]', 'hostname must be a domain name, not an IP address.'],
    ['localhost', 'hostname must be a fully qualified domain name such as links.example.com.'],
    ['https://links.example.com/', 'hostname must be a bare host name such as links.example.com.'],
    ['-bad-.example.com', 'hostname must be a fully qualified domain name such as links.example.com.'],
    ['a'.repeat(254), 'hostname must be 1 to 253 characters.'],
    ['', 'hostname must be 1 to 253 characters.'],
  ])('refuses %p', async (h, message) => {
    expect(expectError(await create(h), 'BAD_USER_INPUT', 400).fields).toEqual({ hostname: message });
  });

  it('refuses the server’s own host (PUBLIC_URL)', async () => {
    const own = await TestApp.create({ env: { PUBLIC_URL: 'https://keys.acme.test' } });
    try {
      expect(expectError(await create('keys.acme.test', own), 'BAD_USER_INPUT', 400).fields).toEqual({
        hostname: "keys.acme.test is this server's own host.",
      });
    } finally {
      await own.close();
    }
  });

  it('a hostname is unique across all organizations: CONFLICT, with the same answer as for your own', async () => {
    expectOk(await create('shared.example.net'));
    const other = await t.createOtherOrganization('Squatter');
    const res = await create('SHARED.example.net', t, other.rootKey);
    expectError(res, 'CONFLICT', 200);
    expect(res.body.errors![0].message).toBe('shared.example.net is already registered.');
  });

  it('needs domains:create; domains needs domains:read', async () => {
    const key = await t.createKey({ domains: ['read'] });
    expectForbidden(await create('x.example.org', t, key.secret), 'domains:create');
    const none = await t.createKey({ shortLinks: ['read'] });
    expectForbidden(await t.gql(DomainsDocument, {}, { key: none.secret }), 'domains:read');
  });
});

describe('verifyDomain', () => {
  it('CONFLICT naming the record while the TXT record is missing or wrong; verified once it matches; audit + event', async () => {
    const d = expectOk(await create('verify.example.org')).createDomain;
    const missing = await verify(d.id);
    expect(expectError(missing, 'CONFLICT', 200).record).toEqual(d.verificationRecord);
    txt.set(d.verificationRecord.name, [['keygate-verification=wrong']]);
    expectError(await verify(d.id), 'CONFLICT', 200);
    // Long TXT values arrive in chunks; they are joined before comparing.
    const v = d.verificationRecord.value;
    txt.set(d.verificationRecord.name, [['unrelated'], [v.slice(0, 10), v.slice(10)]]);
    expect(expectOk(await verify(d.id)).verifyDomain).toEqual({ id: d.id, verified: true });
    const events = await t.dataSource.query(
      "SELECT type FROM webhook_events WHERE payload->'data'->'target'->>'id' = $1 ORDER BY created_at",
      [d.id],
    );
    expect(events.map((e: { type: string }) => e.type)).toEqual(['domain.created', 'domain.verified']);
    // Idempotent.
    expect(expectOk(await verify(d.id)).verifyDomain.verified).toBe(true);
  });

  it('another organization’s domain is NOT_FOUND', async () => {
    const other = await t.createOtherOrganization('Verifier');
    const d = expectOk(await create('mine.example.org')).createDomain;
    expectError(await verify(d.id, other.rootKey), 'NOT_FOUND', 200);
    expectError(await remove(d.id, { key: other.rootKey }), 'NOT_FOUND', 200);
  });
});

describe('deleteDomain', () => {
  it('refuses while links use it (CONFLICT), force deletes the links too; linkCount reflects them', async () => {
    const d = expectOk(await create('busy.example.org')).createDomain;
    for (const slug of ['a', 'b'])
      expectOk(await t.gql(CreateShortLinkIdDocument, { input: { url: 'https://example.com', slug, domainId: d.id } }));
    expect(expectOk(await t.gql(DomainsDocument)).domains.find((x) => x.hostname === 'busy.example.org')!.linkCount).toBe(2);
    const refused = await remove(d.id);
    expectError(refused, 'CONFLICT', 200);
    expect(refused.body.errors![0].message).toBe('busy.example.org still has 2 short link(s); delete them first or pass force: true.');
    expect(expectOk(await remove(d.id, { force: true })).deleteDomain).toBe(d.id);
    expect((await t.dataSource.query('SELECT count(*)::int AS n FROM short_links WHERE domain_id = $1', [d.id]))[0].n).toBe(0);
    const [audit] = await t.dataSource.query("SELECT metadata FROM audit_events WHERE action = 'DOMAIN_DELETED' AND target_id = $1", [
      d.id,
    ]);
    expect(audit.metadata).toEqual({ deletedLinkCount: 2 });
  });

  it('needs domains:delete', async () => {
    const d = expectOk(await create('keep.example.org')).createDomain;
    const key = await t.createKey({ domains: ['create', 'read', 'update'] });
    expectForbidden(await remove(d.id, { key: key.secret }), 'domains:delete');
  });
});
