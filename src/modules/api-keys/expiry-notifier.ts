import type { DataSource } from 'typeorm';
import { rowsOf } from '../../db/sql';
import type { EventRecorder } from '../../core/events';
import { API_KEY_AUDIT } from './api-key.audit';

/**
 * Emits `apiKey.expiring` once when a key enters its last 7 days and once in its last day (a key
 * that is already in its last day gets only the last-day alert). The stage column records what
 * was sent, in the same transaction as the event, so an alert is never sent twice.
 */
export class ExpiryNotifier {
  constructor(
    private readonly dataSource: DataSource,
    private readonly events: EventRecorder,
  ) {}

  async run(now = new Date()): Promise<number> {
    return this.dataSource.transaction(async (m) => {
      const rows = await rowsOf<{ id: string; org_id: string; name: string; prefix: string; expires_at: Date; expiry_alert_stage: number }>(
        m,
        `UPDATE api_keys SET expiry_alert_stage = CASE WHEN expires_at <= $1::timestamptz + interval '1 day' THEN 1 ELSE 7 END
          WHERE id IN (
            SELECT id FROM api_keys
             WHERE deleted_at IS NULL AND status <> 'REVOKED' AND expires_at > $1::timestamptz
               AND ((expires_at <= $1::timestamptz + interval '1 day' AND expiry_alert_stage <> 1)
                 OR (expires_at <= $1::timestamptz + interval '7 days' AND expiry_alert_stage = 0))
             ORDER BY expires_at LIMIT 500 FOR UPDATE SKIP LOCKED)
          RETURNING id, org_id, name, prefix, expires_at, expiry_alert_stage`,
        [now],
      );
      for (const key of rows) {
        await this.events.recordSystem(m, key.org_id, API_KEY_AUDIT, 'API_KEY_EXPIRING', {
          targetId: key.id,
          targetName: key.name,
          metadata: { prefix: key.prefix, expiresAt: key.expires_at, window: key.expiry_alert_stage === 1 ? '1 day' : '7 days' },
        });
      }
      return rows.length;
    });
  }
}
