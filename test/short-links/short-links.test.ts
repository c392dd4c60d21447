import {
  CreateShortLinkDocument,
  CreateShortLinkIdDocument,
  type CreateShortLinkInput,
  DeleteShortLinkDocument,
  ShortLinkClicksDocument,
  ShortLinkDocument,
  ShortLinksDocument,
  UpdateShortLinkBareDocument,
  UpdateShortLinkDocument,
} from '../generated/graphql';
import { expectError, expectForbidden, expectOk } from '../support/expect';
import { TestApp } from '../support/harness';

let t: TestApp;
beforeAll(async () => {
  t = await TestApp.create({ env: { CLICK_COUNTRY_HEADER: 'cf-ipcountry' } });
});
afterAll(() => t.close());

async function createLink(input: CreateShortLinkInput, key = t.rootKey) {
  return t.gql(CreateShortLinkDocument, { input }, { key });
}
const shortLink = async (id: string, key = t.rootKey) => expectOk(await t.gql(ShortLinkDocument, { id }, { key })).shortLink;
const linkCount = async (): Promise<number> => (await t.dataSource.query('SELECT count(*)::int AS n FROM short_links'))[0].n;

describe('createShortLink', () => {
  it('only url is required: a 7-character base62 slug is generated, tags normalized, the creator recorded', async () => {
    const link = expectOk(
      await createLink({ url: 'https://example.com/docs?a=1#top', tags: ['Launch', 'launch', ' q4 '] }),
    ).createShortLink;
    expect(link.slug).toMatch(/^[0-9A-Za-z]{7}$/);
    expect(link).toMatchObject({ url: 'https://example.com/docs?a=1#top', title: null, tags: ['launch', 'q4'], domain: null });
    expect(link.createdBy).toEqual({ kind: 'API_KEY', name: expect.stringMatching(/^bootstrap \(sk_live_[0-9a-f]{4}\)$/) });
  });

  it('a chosen slug is kept; the same slug again on the default host is CONFLICT, even from another organization', async () => {
    expectOk(await createLink({ url: 'https://example.com/', slug: 'launch-2026', title: 'Launch' }));
    const again = await createLink({ url: 'https://example.org/', slug: 'launch-2026' });
    expect(expectError(again, 'CONFLICT', 200).code).toBe('CONFLICT');
    expect(again.body.errors![0].message).toBe('The slug "launch-2026" is already taken on this domain.');
    const other = await t.createOtherOrganization('Rival');
    expectError(await createLink({ url: 'https://example.org/', slug: 'launch-2026' }, other.rootKey), 'CONFLICT', 200);
  });

  it.each([
    [{ url: 'javascript:alert(1)' }, 'input.url', 'url must use http or https.'],
    [{ url: 'ftp://example.com/file' }, 'input.url', 'url must use http or https.'],
    [{ url: 'https://user:secret@example.com/' }, 'input.url', 'url must not contain credentials.'],
    [{ url: 'not a url' }, 'input.url', 'url must be an absolute http or https URL.'],
    [{ url: `https://example.com/${'a'.repeat(2100)}` }, 'input.url', 'url must be 1 to 2048 characters.'],
    [{ url: 'https://example.com', slug: 'graphql' }, 'input.slug', '"graphql" is reserved.'],
    [{ url: 'https://example.com', slug: 'healthz' }, 'input.slug', '"healthz" is reserved.'],
    [{ url: 'https://example.com', slug: 'has space' }, 'input.slug', 'slug must be 1 to 64 characters of A-Z, a-z, 0-9, "_" or "-".'],
    [{ url: 'https://example.com', slug: 'x'.repeat(65) }, 'input.slug', 'slug must be 1 to 64 characters of A-Z, a-z, 0-9, "_" or "-".'],
    [{ url: 'https://example.com', title: 't'.repeat(201) }, 'input.title', 'title is at most 200 characters.'],
    [
      { url: 'https://example.com', domainId: '00000000-0000-4000-8000-000000000000' },
      'input.domainId',
      'No such domain in your organization.',
    ],
  ] as [CreateShortLinkInput, string, string][])('refuses %o with BAD_USER_INPUT on %s', async (input, field, message) => {
    const before = await linkCount();
    const ext = expectError(await createLink(input), 'BAD_USER_INPUT', 400);
    expect(ext.fields).toEqual({ [field]: message });
    expect(await linkCount()).toBe(before);
  });

  it('every bad field is named at once', async () => {
    const ext = expectError(
      await createLink({ url: 'javascript:alert(1)', slug: 'graphql', title: 't'.repeat(201) }),
      'BAD_USER_INPUT',
      400,
    );
    expect(ext.fields).toEqual({
      'input.url': 'url must use http or https.',
      'input.slug': '"graphql" is reserved.',
      'input.title': 'title is at most 200 characters.',
    });
  });

  it('a domain of another organization is refused like a missing one', async () => {
    const other = await t.createOtherOrganization('Domains Inc');
    const domain = await t.app.services.domains.create(other.owner.caller, 'go.domains-inc.test');
    const ext = expectError(await createLink({ url: 'https://example.com', domainId: domain.id }), 'BAD_USER_INPUT', 400);
    expect(ext.fields).toEqual({ 'input.domainId': 'No such domain in your organization.' });
  });

  it('needs shortLinks:create', async () => {
    const key = await t.createKey({ shortLinks: ['read', 'update', 'delete'] });
    const before = await linkCount();
    expectForbidden(
      await t.gql(CreateShortLinkIdDocument, { input: { url: 'https://example.com' } }, { key: key.secret }),
      'shortLinks:create',
    );
    // CreateShortLink also reads the link's domain, which needs domains:read: the refusal names both, and nothing runs.
    const full = await createLink({ url: 'https://example.com' }, key.secret);
    expectForbidden(full, ['shortLinks:create', 'domains:read']);
    expect(full.body).not.toHaveProperty('data');
    expect(await linkCount()).toBe(before);
  });

  it('the same slug may exist once per custom domain', async () => {
    const domain = await t.app.services.domains.create(t.owner.caller, 'go.acme.test');
    expectOk(await createLink({ url: 'https://example.com/a', slug: 'same', domainId: domain.id }));
    expectOk(await createLink({ url: 'https://example.com/b', slug: 'same' }));
    expectError(await createLink({ url: 'https://example.com/c', slug: 'same', domainId: domain.id }), 'CONFLICT', 200);
  });
});

describe('reading links', () => {
  let ids: string[];
  beforeAll(async () => {
    ids = [];
    for (let i = 0; i < 5; i++)
      ids.push(
        expectOk(await createLink({ url: `https://example.com/p/${i}`, slug: `page-${i}`, tags: i % 2 ? ['odd'] : ['even'] }))
          .createShortLink.id,
      );
  });

  it('lists newest first with stable cursors, filters by search and tag', async () => {
    const first = expectOk(await t.gql(ShortLinksDocument, { first: 2, filter: { search: 'page-' } })).shortLinks;
    expect(first.totalCount).toBe(5);
    expect(first.nodes.map((n) => n.slug)).toEqual(['page-4', 'page-3']);
    expect(first.pageInfo.hasNextPage).toBe(true);
    expectOk(await createLink({ url: 'https://example.com/new', slug: 'page-new' }));
    const second = expectOk(
      await t.gql(ShortLinksDocument, { first: 2, after: first.pageInfo.endCursor, filter: { search: 'page-' } }),
    ).shortLinks;
    expect(second.nodes.map((n) => n.slug)).toEqual(['page-2', 'page-1']);
    const odd = expectOk(await t.gql(ShortLinksDocument, { filter: { tag: 'ODD' } })).shortLinks;
    expect(odd.nodes.map((n) => n.slug)).toEqual(['page-3', 'page-1']);
  });

  it('shortLink(id) is null for another organization’s link and for garbage ids', async () => {
    const other = await t.createOtherOrganization('Peeker');
    expect(await shortLink(ids[0], other.rootKey)).toBeNull();
    expect(await shortLink('nope')).toBeNull();
    expect(expectOk(await t.gql(ShortLinksDocument, { filter: { search: 'page-' } }, { key: other.rootKey })).shortLinks.totalCount).toBe(
      0,
    );
  });

  it('the nested case: shortLinks:read alone sees links, and FORBIDDEN on clicks and stats (HTTP 200)', async () => {
    const key = await t.createKey({ shortLinks: ['read'] });
    const res = await t.gql(ShortLinkClicksDocument, { id: ids[0] }, { key: key.secret });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ shortLink: { slug: 'page-0', clicks: null, stats: null } });
    expect(res.body.errors!.map((e) => [e.path!.join('.'), e.extensions])).toEqual([
      ['shortLink.clicks', { code: 'FORBIDDEN', required: ['stats:read'] }],
      ['shortLink.stats', { code: 'FORBIDDEN', required: ['stats:read'] }],
    ]);
    const withStats = await t.createKey({ shortLinks: ['read'], stats: ['read'] });
    expect(expectOk(await t.gql(ShortLinkClicksDocument, { id: ids[0] }, { key: withStats.secret })).shortLink!.clicks).toBe(0);
  });

  it('a key with stats:read but not shortLinks:read cannot read links', async () => {
    const key = await t.createKey({ stats: ['read'] });
    expectForbidden(await t.gql(ShortLinkDocument, { id: ids[0] }, { key: key.secret }), 'shortLinks:read');
  });
});

describe('updateShortLink and deleteShortLink', () => {
  it('updates fields, keeps the id, and writes an audit event with what changed', async () => {
    const link = expectOk(await createLink({ url: 'https://example.com/old', slug: 'to-update' })).createShortLink;
    const updated = expectOk(
      await t.gql(UpdateShortLinkDocument, { id: link.id, input: { url: 'https://example.com/new', slug: 'updated', tags: ['x'] } }),
    ).updateShortLink;
    expect(updated).toEqual({ id: link.id, slug: 'updated', url: 'https://example.com/new', title: null, tags: ['x'], domain: null });
    const [audit] = await t.dataSource.query("SELECT metadata FROM audit_events WHERE action = 'SHORT_LINK_UPDATED' AND target_id = $1", [
      link.id,
    ]);
    expect(audit.metadata.changed.sort()).toEqual(['slug', 'tags', 'url']);
    expect(audit.metadata.before.url).toBe('https://example.com/old');
  });

  it('refuses an empty update, a bad url and a taken slug', async () => {
    const link = expectOk(await createLink({ url: 'https://example.com/u' })).createShortLink;
    expectError(await t.gql(UpdateShortLinkDocument, { id: link.id, input: {} }), 'BAD_USER_INPUT', 400);
    expect(
      expectError(await t.gql(UpdateShortLinkDocument, { id: link.id, input: { url: 'mailto:a@b.c' } }), 'BAD_USER_INPUT', 400).fields,
    ).toEqual({ 'input.url': 'url must use http or https.' });
    expectError(await t.gql(UpdateShortLinkDocument, { id: link.id, input: { slug: 'launch-2026' } }), 'CONFLICT', 200);
  });

  it('another organization’s link is NOT_FOUND for update and delete, and stays unchanged', async () => {
    const link = expectOk(await createLink({ url: 'https://example.com/mine', slug: 'mine-only' })).createShortLink;
    const other = await t.createOtherOrganization('Intruder');
    expectError(
      await t.gql(UpdateShortLinkDocument, { id: link.id, input: { url: 'https://evil.example/' } }, { key: other.rootKey }),
      'NOT_FOUND',
      200,
    );
    expectError(await t.gql(DeleteShortLinkDocument, { id: link.id }, { key: other.rootKey }), 'NOT_FOUND', 200);
    expect((await shortLink(link.id))!.url).toBe('https://example.com/mine');
  });

  it('delete removes the link and its redirect; update and delete need their scopes', async () => {
    const link = expectOk(await createLink({ url: 'https://example.com/bye', slug: 'bye-bye' })).createShortLink;
    const readOnly = await t.createKey({ shortLinks: ['read', 'create'] });
    expectForbidden(
      await t.gql(UpdateShortLinkBareDocument, { id: link.id, input: { title: 'x' } }, { key: readOnly.secret }),
      'shortLinks:update',
    );
    // UpdateShortLink also reads the link's domain (domains:read): both are named, and the link is unchanged.
    expectForbidden(await t.gql(UpdateShortLinkDocument, { id: link.id, input: { title: 'x' } }, { key: readOnly.secret }), [
      'shortLinks:update',
      'domains:read',
    ]);
    expect((await shortLink(link.id))!.title).toBeNull();
    expectForbidden(await t.gql(DeleteShortLinkDocument, { id: link.id }, { key: readOnly.secret }), 'shortLinks:delete');
    expect(expectOk(await t.gql(DeleteShortLinkDocument, { id: link.id })).deleteShortLink).toBe(link.id);
    expect((await t.app.server.inject({ method: 'GET', url: '/bye-bye' })).statusCode).toBe(404);
  });
});

describe('redirects and clicks', () => {
  it('GET /:slug answers 302 to the URL with one SELECT and no write on its own path', async () => {
    expectOk(await createLink({ url: 'https://example.com/target?x=1', slug: 'go' }));
    const { result, statements } = await t.countQueries(() =>
      t.app.server.inject({
        method: 'GET',
        url: '/go',
        headers: { referer: 'https://news.example.net/item?id=1', 'user-agent': 'Mozilla/5.0 (X11) Firefox/130.0', 'cf-ipcountry': 'de' },
      }),
    );
    expect(result.statusCode).toBe(302);
    expect(result.headers.location).toBe('https://example.com/target?x=1');
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/^\s*SELECT/);
    expect(t.app.services.clicks.pendingCount).toBe(1);

    await t.app.services.clicks.flush();
    const [click] = await t.dataSource.query(
      "SELECT referrer_host, user_agent_family, country FROM link_clicks c JOIN short_links l ON l.id = c.link_id WHERE l.slug = 'go'",
    );
    expect(click).toEqual({ referrer_host: 'news.example.net', user_agent_family: 'Firefox', country: 'DE' });
    const link = expectOk(await t.gql(ShortLinksDocument, { filter: { search: 'target?x' } })).shortLinks.nodes[0];
    expect(link.clicks).toBe(1);
  });

  it('an unknown slug is a plain 404 page; nothing is recorded', async () => {
    const res = await t.app.server.inject({ method: 'GET', url: '/does-not-exist' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.body).toBe('Not found\n');
    expect(t.app.services.clicks.pendingCount).toBe(0);
  });

  it('on a verified custom domain (by Host) only that domain’s links redirect; unverified domains answer 404', async () => {
    const domain = await t.app.services.domains.create(t.owner.caller, 'l.acme-links.test');
    expectOk(await createLink({ url: 'https://example.com/custom', slug: 'promo', domainId: domain.id }));
    expectOk(await createLink({ url: 'https://example.com/default', slug: 'promo' }));
    const get = (host: string) => t.app.server.inject({ method: 'GET', url: '/promo', headers: { host } });
    expect((await get('l.acme-links.test')).headers.location).toBe('https://example.com/default'); // not verified yet
    await t.dataSource.query('UPDATE domains SET verified_at = now() WHERE id = $1', [domain.id]);
    expect((await get('l.acme-links.test')).headers.location).toBe('https://example.com/custom');
    expect((await get('L.ACME-LINKS.TEST:8080')).headers.location).toBe('https://example.com/custom');
    expect((await get('localhost:4000')).headers.location).toBe('https://example.com/default');
    expect((await t.app.server.inject({ method: 'GET', url: '/go', headers: { host: 'l.acme-links.test' } })).statusCode).toBe(404);
    await t.app.services.clicks.flush();
  });

  it('buffered clicks survive a failed flush and are written by the next one', async () => {
    expectOk(await createLink({ url: 'https://example.com/retry', slug: 'retry-me' }));
    await t.app.server.inject({ method: 'GET', url: '/retry-me' });
    await t.app.server.inject({ method: 'GET', url: '/retry-me' });
    const original = t.dataSource.query.bind(t.dataSource);
    (t.dataSource as any).query = async () => {
      throw new Error('connection lost');
    };
    await expect(t.app.services.clicks.flush()).rejects.toThrow('connection lost');
    (t.dataSource as any).query = original;
    expect(t.app.services.clicks.pendingCount).toBe(2);
    await t.app.services.clicks.flush();
    const [row] = await t.dataSource.query("SELECT click_count FROM short_links WHERE slug = 'retry-me'");
    expect(Number(row.click_count)).toBe(2);
  });
});
