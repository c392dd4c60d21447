import { ShortLinksStatsDocument, ShortLinksStatsRangesDocument, StatsDocument, ViewerKindDocument } from '../generated/graphql';
import { expectOk } from '../support/expect';
import { TestApp } from '../support/harness';
import { recordClicks, type Click } from './helpers';

/**
 * `ShortLink.stats` of every link in a page is one statement for the page (a per-request
 * DataLoader per range), not one per link, and each link's result is exactly what
 * `stats(filter: { linkId })` answers for it.
 */
let t: TestApp;
const links: string[] = [];
const at = (d: number, h: number) => new Date(Date.UTC(2026, 2, d, h, 15));

beforeAll(async () => {
  t = await TestApp.create();
  for (let i = 0; i < 30; i++) links.push((await t.app.services.shortLinks.create(t.owner.caller, { url: `https://example.com/${i}` })).id);
  // Clicks on every third link, with ties in the top lists and more than ten referrers on one.
  for (const [i, id] of links.entries()) {
    if (i % 3) continue;
    const clicks: Click[] = [];
    for (let c = 0; c < 3 + i; c++) {
      clicks.push([
        at(1 + (c % 4), c % 24),
        c % 7 === 0 ? null : `ref${c % 13}.example`,
        ['Chrome', 'Firefox', 'curl'][c % 3],
        c % 5 === 0 ? null : ['DE', 'FR', 'US'][c % 3],
        ['desktop', 'mobile', 'tablet', 'bot'][c % 4],
      ]);
    }
    await recordClicks(t, id, t.org.id, clicks);
  }
  await t.gql(ViewerKindDocument); // the root key's verification is cached from here on
});
afterAll(() => t.close());

it.each([
  ['DAY', '2026-03-01T00:00:00.000Z', '2026-03-08T00:00:00.000Z'],
  ['HOUR', '2026-03-01T00:00:00.000Z', '2026-03-02T06:30:00.000Z'],
] as const)(
  'a page of 30 links with %s stats costs 2 statements, and every result equals the single-link answer',
  async (interval, from, to) => {
    const { result, count } = await t.countQueries(() => t.gql(ShortLinksStatsDocument, { first: 30, interval, from, to }));
    // the page (1) + every link's stats (1)
    expect(count).toBe(2);
    const nodes = expectOk(result).shortLinks.nodes;
    expect(nodes).toHaveLength(30);
    for (const node of nodes) {
      const single = expectOk(await t.gql(StatsDocument, { interval, filter: { linkId: node.id, from, to } }));
      expect(node.stats).toEqual(single.stats);
    }
    expect(nodes.filter((n) => n.stats!.totalClicks > 0)).toHaveLength(10);
  },
);

it('two ranges in one request are two batches; defaults (no from/to) are one', async () => {
  const ranges = { first: 30, from: '2026-03-01T00:00:00Z', to: '2026-03-09T00:00:00Z' };
  const { result, count } = await t.countQueries(() => t.gql(ShortLinksStatsRangesDocument, ranges));
  expect(count).toBe(4);
  const nodes = expectOk(result).shortLinks.nodes;
  expect(nodes.reduce((sum, n) => sum + n.c!.totalClicks, 0)).toBe(
    links.filter((_, i) => i % 3 === 0).reduce((sum, _, k) => sum + 3 + k * 3, 0),
  );
});

it('a range the service refuses is refused on every link, as before', async () => {
  const res = await t.gql(ShortLinksStatsDocument, { first: 2, from: '2026-03-02T00:00:00Z', to: '2026-03-01T00:00:00Z' });
  expect(res.body.errors!.map((e) => e.extensions)).toEqual([
    { code: 'BAD_USER_INPUT', fields: { 'filter.from': 'from must be before to.' } },
    { code: 'BAD_USER_INPUT', fields: { 'filter.from': 'from must be before to.' } },
  ]);
});
