import { UsageRecorder, type PendingUsage } from '../../src/modules/api-keys/usage-recorder';
import { ClickRecorder, type Click } from '../../src/modules/stats/click-recorder';
import { TestApp } from '../support/harness';

/**
 * Usage and click flushes write in bounded chunks: one statement per `chunkSize` entries, so a
 * flush of many keys holds no long transaction. A failed chunk goes back to the buffer with
 * those not yet written; written chunks are never written again.
 */
let t: TestApp;
const keys: string[] = [];
const links: string[] = [];
const DAYS = ['2026-03-01', '2026-03-02', '2026-03-03'];

beforeAll(async () => {
  t = await TestApp.create();
  for (let i = 0; i < 7; i++) keys.push((await t.createKey({ stats: ['read'] }, { name: `usage ${i}` })).id);
  for (let i = 0; i < 4; i++) links.push((await t.app.services.shortLinks.create(t.owner.caller, { url: `https://example.com/c${i}` })).id);
});
afterAll(() => t.close());

/** A usage recorder whose `failOn`-th chunk write fails once, as a dropped connection would. */
class FlakyUsage extends UsageRecorder {
  writes = 0;
  failOn = 0;
  protected override async write(chunk: PendingUsage[]): Promise<void> {
    if (++this.writes === this.failOn) throw new Error('connection lost');
    return super.write(chunk);
  }
}

async function usageRows(): Promise<Record<string, number>> {
  const rows: { k: string; day: string; n: number }[] = await t.dataSource.query(
    "SELECT api_key_id AS k, to_char(day, 'YYYY-MM-DD') AS day, requests AS n FROM api_key_usage WHERE api_key_id = ANY($1::uuid[])",
    [keys],
  );
  return Object.fromEntries(rows.map((r) => [`${keys.indexOf(r.k)}|${r.day}`, r.n]));
}

/** 7 keys × 3 days = 21 entries; key i gets i + 1 requests on each day. */
function recordUsage(recorder: UsageRecorder): Record<string, number> {
  const expected: Record<string, number> = {};
  for (const [i, id] of keys.entries()) {
    for (const day of DAYS) {
      for (let r = 0; r <= i; r++) recorder.record(id, new Date(`${day}T10:00:0${r % 10}Z`));
      expected[`${i}|${day}`] = i + 1;
    }
  }
  return expected;
}

describe('chunked write-behind flushes', () => {
  it('a usage flush of 21 entries in chunks of 5 is ceil(21 / 5) = 5 statements, and every count lands once', async () => {
    await t.dataSource.query('DELETE FROM api_key_usage WHERE api_key_id = ANY($1::uuid[])', [keys]);
    const recorder = new UsageRecorder(t.dataSource, 1_000, undefined, 5);
    const expected = recordUsage(recorder);
    const { count } = await t.countQueries(() => recorder.flush());
    expect(count).toBe(5);
    expect(await usageRows()).toEqual(expected);
    const lastUsed: { k: string; at: Date }[] = await t.dataSource.query(
      'SELECT id AS k, last_used_at AS at FROM api_keys WHERE id = ANY($1::uuid[])',
      [keys],
    );
    for (const row of lastUsed) {
      const i = keys.indexOf(row.k);
      expect(row.at.toISOString()).toBe(`2026-03-03T10:00:0${Math.min(i, 9)}.000Z`);
    }
  });

  it('a failed chunk and those after it go back to the buffer; the next flush writes them, none twice', async () => {
    await t.dataSource.query('DELETE FROM api_key_usage WHERE api_key_id = ANY($1::uuid[])', [keys]);
    const recorder = new FlakyUsage(t.dataSource, 1_000, undefined, 5);
    recorder.failOn = 3;
    const expected = recordUsage(recorder);
    await expect(recorder.flush()).rejects.toThrow('connection lost');
    // Chunks 1 and 2 (10 entries) are written; 11 entries wait, with all their requests.
    const written = await usageRows();
    expect(Object.keys(written)).toHaveLength(10);
    const waiting = Object.entries(expected)
      .filter(([slot]) => !(slot in written))
      .reduce((sum, [, n]) => sum + n, 0);
    expect(recorder.pendingCount).toBe(waiting);
    // Counted while the flush was failing: merged with what came back.
    recorder.record(keys[0], new Date(`${DAYS[0]}T11:00:00Z`));
    expected[`0|${DAYS[0]}`] += 1;
    const { count } = await t.countQueries(() => recorder.flush());
    expect(count).toBe(Math.ceil((11 + (`0|${DAYS[0]}` in written ? 1 : 0)) / 5));
    expect(await usageRows()).toEqual(expected);
    expect(recorder.pendingCount).toBe(0);
    expect(recorder.dropped).toBe(0);
  });

  it('a click flush of 23 clicks in chunks of 5 is 5 statements; rows and counters exact', async () => {
    const recorder = new ClickRecorder(t.dataSource, 1_000, undefined, 5);
    const perLink = [9, 7, 5, 2];
    for (const [i, linkId] of links.entries()) {
      for (let c = 0; c < perLink[i]; c++) {
        const click: Click = {
          linkId,
          orgId: t.org.id,
          clickedAt: new Date(Date.UTC(2026, 2, 1, c)),
          referrerHost: null,
          userAgentFamily: 'curl',
          device: 'other',
          country: null,
        };
        recorder.record(click);
      }
    }
    const { count } = await t.countQueries(() => recorder.flush());
    expect(count).toBe(5);
    const rows: { id: string; click_count: number; stored: number }[] = await t.dataSource.query(
      `SELECT l.id, l.click_count::int AS click_count, (SELECT count(*)::int FROM link_clicks c WHERE c.link_id = l.id) AS stored
         FROM short_links l WHERE l.id = ANY($1::uuid[])`,
      [links],
    );
    const byId = new Map(rows.map((r) => [r.id, [r.click_count, r.stored]]));
    expect(links.map((id) => byId.get(id))).toEqual(perLink.map((n) => [n, n]));
  });

  it('the default chunk is 500 rows: 1,200 buffered clicks are 3 statements', async () => {
    const recorder = new ClickRecorder(t.dataSource, 10_000);
    for (let c = 0; c < 1_200; c++) {
      recorder.record({
        linkId: links[3],
        orgId: t.org.id,
        clickedAt: new Date(),
        referrerHost: null,
        userAgentFamily: 'curl',
        device: 'other',
        country: null,
      });
    }
    const { count } = await t.countQueries(() => recorder.flush());
    expect(count).toBe(3);
    const [row] = await t.dataSource.query('SELECT click_count::int AS n FROM short_links WHERE id = $1', [links[3]]);
    expect(row.n).toBe(2 + 1_200);
  });
});
