import { ShortLinkStatsDocument, StatsDocument, StatsTopLinksDocument, ViewerKindDocument } from '../generated/graphql';
import { expectError, expectForbidden, expectOk } from '../support/expect';
import { TestApp } from '../support/harness';
import { deviceClass } from '../../src/modules/stats/user-agent';

/**
 * `topLinks` and `topDevices`, from clicks made through the real redirect route: the device class
 * is decided from the whole user agent at click time. A top link's fields need shortLinks:read
 * besides stats:read; another organization's clicks and links never show.
 */
let t: TestApp;
const UA = {
  desktop: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  iphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  pixel: 'Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  ipad: 'Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  galaxyTab: 'Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  googlebot: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  curl: 'curl/8.11.0',
};
let hot: { id: string; slug: string };
let warm: { id: string; slug: string };
let otherOrg: Awaited<ReturnType<TestApp['createOtherOrganization']>>;
let foreignLinkId: string;
let from: string;
let to: string;

const click = (slug: string, userAgent: string, country?: string) =>
  t.app.server.inject({
    method: 'GET',
    url: `/${slug}`,
    headers: { 'user-agent': userAgent, ...(country ? { 'cf-ipcountry': country } : {}) },
  });

beforeAll(async () => {
  t = await TestApp.create({ env: { CLICK_COUNTRY_HEADER: 'cf-ipcountry' } });
  const create = (slug: string) => t.app.services.shortLinks.create(t.owner.caller, { url: `https://example.com/${slug}`, slug });
  hot = await create('hot');
  warm = await create('warm');
  await create('cold');
  otherOrg = await t.createOtherOrganization('Elsewhere');
  const foreign = await t.app.services.shortLinks.create(otherOrg.owner.caller, { url: 'https://example.com/foreign', slug: 'foreign' });
  foreignLinkId = foreign.id;
  from = new Date(Date.now() - 3_600_000).toISOString();
  for (const ua of [UA.desktop, UA.desktop, UA.iphone, UA.pixel, UA.ipad]) expect((await click('hot', ua, 'de')).statusCode).toBe(302);
  for (const ua of [UA.galaxyTab, UA.googlebot]) expect((await click('warm', ua, 'fr')).statusCode).toBe(302);
  // More clicks on another organization's link than on any of ours: never counted here.
  for (let i = 0; i < 9; i++) await click('foreign', UA.curl);
  await t.app.services.clicks.flush();
  to = new Date(Date.now() + 60_000).toISOString();
  await t.gql(ViewerKindDocument); // the root key's verification is cached from here on
});
afterAll(() => t.close());

describe('happy', () => {
  it('device classes and top links of the organization, links loaded in one more statement', async () => {
    const { result, count } = await t.countQueries(() => t.gql(StatsTopLinksDocument, { filter: { from, to } }));
    // the stats (1) + the top links' rows (1)
    expect(count).toBe(2);
    const s = expectOk(result).stats;
    expect(s.totalClicks).toBe(7);
    // Ties in byte order, as every top list.
    expect(s.topDevices).toEqual([
      { value: 'desktop', clicks: 2 },
      { value: 'mobile', clicks: 2 },
      { value: 'tablet', clicks: 2 },
      { value: 'bot', clicks: 1 },
    ]);
    expect(s.topLinks).toEqual([
      { linkId: hot.id, clicks: 5, link: { id: hot.id, slug: 'hot', url: 'https://example.com/hot' } },
      { linkId: warm.id, clicks: 2, link: { id: warm.id, slug: 'warm', url: 'https://example.com/warm' } },
    ]);
  });

  it('a link’s own stats: its devices, and itself as its only top link; equal to stats(filter: { linkId })', async () => {
    const one = expectOk(await t.gql(StatsDocument, { filter: { linkId: warm.id, from, to } })).stats;
    expect(one.topDevices).toEqual([
      { value: 'bot', clicks: 1 },
      { value: 'tablet', clicks: 1 },
    ]);
    expect(one.topCountries).toEqual([{ value: 'FR', clicks: 2 }]);
    expect(one.topLinks).toEqual([{ linkId: warm.id, clicks: 2 }]);
    const viaLink = expectOk(await t.gql(ShortLinkStatsDocument, { id: warm.id, from, to })).shortLink!.stats!;
    expect(viaLink.totalClicks).toBe(2);
  });

  it('the device class is decided from the whole user agent', () => {
    expect(Object.fromEntries(Object.entries(UA).map(([name, ua]) => [name, deviceClass(ua)]))).toEqual({
      desktop: 'desktop',
      iphone: 'mobile',
      pixel: 'mobile',
      ipad: 'tablet',
      galaxyTab: 'tablet',
      googlebot: 'bot',
      curl: 'other',
    });
    expect(deviceClass(undefined)).toBe('other');
    // Only the first 512 characters are read: a 16 KB "Android…Android Mobile" is a tablet there,
    // and costs what 512 characters cost (it was quadratic with a look-ahead).
    expect(deviceClass(`${'Android'.repeat(2300)}Mobile`)).toBe('tablet');
    expect(deviceClass('Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Mobile Safari/537.36')).toBe('mobile');
    expect(
      deviceClass('Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15'),
    ).toBe('desktop');
  });
});

describe('error', () => {
  it('a range over 366 days is refused with the field named', async () => {
    const res = await t.gql(StatsTopLinksDocument, { filter: { from: '2024-01-01T00:00:00Z', to: '2025-06-01T00:00:00Z' } });
    expect(expectError(res, 'BAD_USER_INPUT', 400).fields).toEqual({ 'filter.to': 'The range is at most 366 days.' });
  });
});

describe('security', () => {
  it('another organization sees only its own clicks and links, never ours', async () => {
    const theirs = expectOk(await t.gql(StatsTopLinksDocument, { filter: { from, to } }, { key: otherOrg.rootKey })).stats;
    expect(theirs.totalClicks).toBe(9);
    expect(theirs.topDevices).toEqual([{ value: 'other', clicks: 9 }]);
    expect(theirs.topLinks).toEqual([
      { linkId: foreignLinkId, clicks: 9, link: { id: foreignLinkId, slug: 'foreign', url: 'https://example.com/foreign' } },
    ]);
    // Our link ids filter nothing for them.
    const probe = expectOk(await t.gql(StatsTopLinksDocument, { filter: { linkId: hot.id, from, to } }, { key: otherOrg.rootKey })).stats;
    expect(probe.totalClicks).toBe(0);
    expect(probe.topLinks).toEqual([]);
  });

  it('a stats:read-only key sees each top link’s id and clicks, and FORBIDDEN (shortLinks:read) for the link itself', async () => {
    const key = await t.createKey({ stats: ['read'] });
    const res = await t.gql(StatsTopLinksDocument, { filter: { from, to } }, { key: key.secret });
    expect(res.status).toBe(200);
    expect(res.body.data!.stats.topLinks).toEqual([
      { linkId: hot.id, clicks: 5, link: null },
      { linkId: warm.id, clicks: 2, link: null },
    ]);
    // One refusal for the selection path, `@` for every position (not one per top link).
    expect(res.body.errors!.map((e) => [e.path, e.extensions])).toEqual([
      [['stats', 'topLinks', '@', 'link'], { code: 'FORBIDDEN', required: ['shortLinks:read'] }],
    ]);
    // Without the link's fields nothing is refused.
    const plain = await t.gql(StatsDocument, { filter: { from, to } }, { key: key.secret });
    expect(plain.body.errors).toBeUndefined();
    expect(plain.body.data!.stats.topLinks).toEqual([
      { linkId: hot.id, clicks: 5 },
      { linkId: warm.id, clicks: 2 },
    ]);
  });

  it('a key without stats:read is refused the stats, even holding shortLinks:read', async () => {
    const key = await t.createKey({ shortLinks: ['read'] });
    expectForbidden(await t.gql(StatsTopLinksDocument, { filter: { from, to } }, { key: key.secret }), 'stats:read');
  });
});
