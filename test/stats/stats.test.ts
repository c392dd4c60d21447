import { ShortLinkStatsDocument, StatsDocument } from '../generated/graphql';
import { expectError, expectForbidden, expectOk } from '../support/expect';
import { TestApp } from '../support/harness';
import { recordClicks, type Click } from './helpers';

let t: TestApp;
let linkA: string;
let linkB: string;
let domainId: string;
const day = (d: number, h = 12) => new Date(Date.UTC(2026, 5, d, h, 30));

const clicks = (linkId: string, orgId: string, rows: Click[]) => recordClicks(t, linkId, orgId, rows);

beforeAll(async () => {
  t = await TestApp.create();
  domainId = (await t.app.services.domains.create(t.owner.caller, 'stats.acme.test')).id;
  linkA = (await t.app.services.shortLinks.create(t.owner.caller, { url: 'https://example.com/a', domainId })).id;
  linkB = (await t.app.services.shortLinks.create(t.owner.caller, { url: 'https://example.com/b' })).id;
  await clicks(linkA, t.org.id, [
    [day(1, 9), 'news.example', 'Chrome', 'DE'],
    [day(1, 9), 'news.example', 'Firefox', 'DE'],
    [day(1, 10), null, 'Chrome', 'FR'],
    [day(3), 'blog.example', 'Safari', null],
  ]);
  await clicks(linkB, t.org.id, [[day(2), 'news.example', 'curl', 'US']]);
  // Another organization's clicks on its own link never count here.
  const other = await t.createOtherOrganization('Noise');
  const foreign = await t.app.services.shortLinks.create(other.owner.caller, { url: 'https://example.com/x' });
  await clicks(foreign.id, other.org.id, [
    [day(1), 'news.example', 'Chrome', 'DE'],
    [day(2), 'news.example', 'Chrome', 'DE'],
  ]);
});
afterAll(() => t.close());

describe('stats', () => {
  it('daily series, zero-filled, and top lists for the whole organization', async () => {
    const s = expectOk(await t.gql(StatsDocument, { filter: { from: day(1, 0).toISOString(), to: day(4, 0).toISOString() } })).stats;
    expect(s.totalClicks).toBe(5);
    expect(s.series).toEqual([
      { bucket: '2026-06-01T00:00:00.000Z', clicks: 3 },
      { bucket: '2026-06-02T00:00:00.000Z', clicks: 1 },
      { bucket: '2026-06-03T00:00:00.000Z', clicks: 1 },
      { bucket: '2026-06-04T00:00:00.000Z', clicks: 0 },
    ]);
    expect(s.topReferrers).toEqual([
      { value: 'news.example', clicks: 3 },
      { value: '(direct)', clicks: 1 },
      { value: 'blog.example', clicks: 1 },
    ]);
    expect(s.topCountries).toEqual([
      { value: 'DE', clicks: 2 },
      { value: '??', clicks: 1 },
      { value: 'FR', clicks: 1 },
      { value: 'US', clicks: 1 },
    ]);
    // Ties in byte order (COLLATE "C"), the same on every server locale.
    expect(s.topUserAgents).toEqual([
      { value: 'Chrome', clicks: 2 },
      { value: 'Firefox', clicks: 1 },
      { value: 'Safari', clicks: 1 },
      { value: 'curl', clicks: 1 },
    ]);
  });

  it('hourly buckets, by link and by domain', async () => {
    const hourly = expectOk(
      await t.gql(StatsDocument, {
        interval: 'HOUR',
        filter: { linkId: linkA, from: day(1, 8).toISOString(), to: day(1, 11).toISOString() },
      }),
    ).stats;
    expect(hourly.series.map((b) => b.clicks)).toEqual([0, 2, 1, 0]);
    expect(hourly.totalClicks).toBe(3);
    const byDomain = expectOk(
      await t.gql(StatsDocument, { filter: { domainId, from: day(1, 0).toISOString(), to: day(5, 0).toISOString() } }),
    ).stats;
    expect(byDomain.totalClicks).toBe(4);
    const viaLink = expectOk(
      await t.gql(ShortLinkStatsDocument, { id: linkB, from: day(1, 0).toISOString(), to: day(3, 0).toISOString() }),
    ).shortLink;
    expect(viaLink!.stats!.totalClicks).toBe(1);
  });

  it('another organization’s link id counts nothing (as a missing one)', async () => {
    const other = await t.createOtherOrganization('Snoop');
    const s = expectOk(
      await t.gql(
        StatsDocument,
        { filter: { linkId: linkA, from: day(1, 0).toISOString(), to: day(4, 0).toISOString() } },
        { key: other.rootKey },
      ),
    ).stats;
    expect(s.totalClicks).toBe(0);
    expect(s.series.every((b) => b.clicks === 0)).toBe(true);
  });

  it('at most 10 entries per top list', async () => {
    await clicks(
      linkB,
      t.org.id,
      Array.from({ length: 12 }, (_, i): Click => [day(10), `ref${i}.example`, 'Chrome', null]),
    );
    const s = expectOk(await t.gql(StatsDocument, { filter: { from: day(10, 0).toISOString(), to: day(11, 0).toISOString() } })).stats;
    expect(s.topReferrers).toHaveLength(10);
    expect(s.totalClicks).toBe(12);
  });

  it('refuses a range over 366 days or an empty one', async () => {
    expect(
      expectError(
        await t.gql(StatsDocument, { filter: { from: '2024-01-01T00:00:00Z', to: '2025-06-01T00:00:00Z' } }),
        'BAD_USER_INPUT',
        400,
      ).fields,
    ).toEqual({ 'filter.to': 'The range is at most 366 days.' });
    expect(
      expectError(await t.gql(StatsDocument, { filter: { from: day(2).toISOString(), to: day(1).toISOString() } }), 'BAD_USER_INPUT', 400)
        .fields,
    ).toEqual({ 'filter.from': 'from must be before to.' });
  });

  it('needs stats:read', async () => {
    const key = await t.createKey({ shortLinks: ['read'] });
    expectForbidden(await t.gql(StatsDocument, {}, { key: key.secret }), 'stats:read');
  });
});
