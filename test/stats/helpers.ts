import type { TestApp } from '../support/harness';

/** One stored click: when, referrer host, user-agent family, country (null where unknown), device class (default other). */
export type Click = [at: Date, referrer: string | null, userAgent: string, country: string | null, device?: string];

/** Writes clicks on a link straight into link_clicks, as the click buffer's flush would. */
export async function recordClicks(t: TestApp, linkId: string, orgId: string, clicks: Click[]): Promise<void> {
  for (const [at, referrer, userAgent, country, device = 'other'] of clicks) {
    await t.dataSource.query(
      'INSERT INTO link_clicks (link_id, org_id, clicked_at, referrer_host, user_agent_family, country, device) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [linkId, orgId, at, referrer, userAgent, country, device],
    );
  }
}
