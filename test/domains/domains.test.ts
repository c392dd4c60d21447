import { expectError, expectForbidden, expectOk } from '../support/expect';
import { TestApp } from '../support/harness';

/** DNS answers for names these tests do not own; everything else fails like NXDOMAIN. */
const txt = new Map<string, string[][]>();
let t: TestApp;
beforeAll(async () => {
  t = await TestApp.create({
    txtResolver: async (name) => {
      const records = txt.get(name);
      if (!records) throw Object.assign(new Error('queryTxt ENOTFOUND'), { code: 'ENOTFOUND' });
      return records;
    },
  });
});
afterAll(() => t.close());

const CREATE = 'mutation($h: String!) { createDomain(hostname: $h) { id hostname verified verificationRecord { name value } linkCount createdAt } }';
const VERIFY = 'mutation($id: ID!) { verifyDomain(id: $id) { id verified } }';
const DELETE = 'mutation($id: ID!, $force: Boolean) { deleteDomain(id: $id, force: $force) }';

describe('createDomain', () => {
  it('lower-cases, trims a trailing dot, and gives a TXT record to publish', async () => {
    const d = expectOk(await t.gql(CREATE, { h: 'Links.Example.COM.' })).createDomain;
    expect(d).toMatchObject({ hostname: 'links.example.com', verified: false, linkCount: 0 });
    expect(d.verificationRecord.name).toBe('_keygate.links.example.com');
    expect(d.verificationRecord.value).toMatch(/^keygate-verification=[0-9a-f]{32}$/);
  });

  it('stores internationalized names as punycode (IDNA)', async () => {
    expect(expectOk(await t.gql(CREATE, { h: 'Bücher.example' })).createDomain.hostname).toBe('xn--bcher-kva.example');
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
    expect(expectError(await t.gql(CREATE, { h }), 'BAD_USER_INPUT', 400).fields).toEqual({ hostname: message });
  });

  it('refuses the server’s own host (PUBLIC_URL)', async () => {
    const own = await TestApp.create({ env: { PUBLIC_URL: 'https://keys.acme.test' } });
    try {
      expect(expectError(await own.gql(CREATE, { h: 'keys.acme.test' }), 'BAD_USER_INPUT', 400).fields).toEqual({ hostname: "keys.acme.test is this server's own host." });
    } finally {
      await own.close();
    }
  });

  it('a hostname is unique across all organizations: CONFLICT, with the same answer as for your own', async () => {
    expectOk(await t.gql(CREATE, { h: 'shared.example.net' }));
    const other = await t.createOtherOrganization('Squatter');
    const res = await t.gql(CREATE, { h: 'SHARED.example.net' }, { key: other.rootKey });
    expectError(res, 'CONFLICT', 200);
    expect(res.body.errors![0].message).toBe('shared.example.net is already registered.');
  });

  it('needs domains:create; domains needs domains:read', async () => {
    const key = await t.createKey({ domains: ['read'] });
    expectForbidden(await t.gql(CREATE, { h: 'x.example.org' }, { key: key.secret }), 'domains:create');
    const none = await t.createKey({ shortLinks: ['read'] });
    expectForbidden(await t.gql('{ domains { id } }', {}, { key: none.secret }), 'domains:read');
  });
});

describe('verifyDomain', () => {
  it('CONFLICT naming the record while the TXT record is missing or wrong; verified once it matches; audit + event', async () => {
    const d = expectOk(await t.gql(CREATE, { h: 'verify.example.org' })).createDomain;
    const missing = await t.gql(VERIFY, { id: d.id });
    expect(expectError(missing, 'CONFLICT', 200).record).toEqual(d.verificationRecord);
    txt.set(d.verificationRecord.name, [['keygate-verification=wrong']]);
    expectError(await t.gql(VERIFY, { id: d.id }), 'CONFLICT', 200);
    // Long TXT values arrive in chunks; they are joined before comparing.
    const v = d.verificationRecord.value as string;
    txt.set(d.verificationRecord.name, [['unrelated'], [v.slice(0, 10), v.slice(10)]]);
    expect(expectOk(await t.gql(VERIFY, { id: d.id })).verifyDomain).toEqual({ id: d.id, verified: true });
    const events = await t.dataSource.query("SELECT type FROM webhook_events WHERE payload->'data'->'target'->>'id' = $1 ORDER BY created_at", [d.id]);
    expect(events.map((e: { type: string }) => e.type)).toEqual(['domain.created', 'domain.verified']);
    // Idempotent.
    expect(expectOk(await t.gql(VERIFY, { id: d.id })).verifyDomain.verified).toBe(true);
  });

  it('another organization’s domain is NOT_FOUND', async () => {
    const other = await t.createOtherOrganization('Verifier');
    const d = expectOk(await t.gql(CREATE, { h: 'mine.example.org' })).createDomain;
    expectError(await t.gql(VERIFY, { id: d.id }, { key: other.rootKey }), 'NOT_FOUND', 200);
    expectError(await t.gql(DELETE, { id: d.id }, { key: other.rootKey }), 'NOT_FOUND', 200);
  });
});

describe('deleteDomain', () => {
  it('refuses while links use it (CONFLICT), force deletes the links too; linkCount reflects them', async () => {
    const d = expectOk(await t.gql(CREATE, { h: 'busy.example.org' })).createDomain;
    for (const slug of ['a', 'b']) expectOk(await t.gql(`mutation { createShortLink(input: { url: "https://example.com", slug: "${slug}", domainId: "${d.id}" }) { id } }`));
    expect(expectOk(await t.gql('{ domains { hostname linkCount } }')).domains.find((x: any) => x.hostname === 'busy.example.org').linkCount).toBe(2);
    const refused = await t.gql(DELETE, { id: d.id });
    expectError(refused, 'CONFLICT', 200);
    expect(refused.body.errors![0].message).toBe('busy.example.org still has 2 short link(s); delete them first or pass force: true.');
    expect(expectOk(await t.gql(DELETE, { id: d.id, force: true })).deleteDomain).toBe(d.id);
    expect((await t.dataSource.query('SELECT count(*)::int AS n FROM short_links WHERE domain_id = $1', [d.id]))[0].n).toBe(0);
    const [audit] = await t.dataSource.query("SELECT metadata FROM audit_events WHERE action = 'DOMAIN_DELETED' AND target_id = $1", [d.id]);
    expect(audit.metadata).toEqual({ deletedLinkCount: 2 });
  });

  it('needs domains:delete', async () => {
    const d = expectOk(await t.gql(CREATE, { h: 'keep.example.org' })).createDomain;
    const key = await t.createKey({ domains: ['create', 'read', 'update'] });
    expectForbidden(await t.gql(DELETE, { id: d.id }, { key: key.secret }), 'domains:delete');
  });
});
