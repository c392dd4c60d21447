import type { DataSource } from 'typeorm';
import { rowsOf } from '../../db/sql';
import type { SecretBox } from './secret-box';

export interface ResealReport {
  /** Secrets that were sealed with a previous key and now are with the current one. */
  resealed: number;
  /** Secrets already sealed with the current key. */
  current: number;
  /** Webhooks whose secret none of the keys opens (a key missing from ENCRYPTION_KEY_PREVIOUS). */
  unreadable: string[];
}

/**
 * The middle step of an ENCRYPTION_KEY rotation (docs/operations.md): every webhook's signing
 * secret sealed with a previous key is sealed again with the current one — the same secret, so
 * receivers change nothing. Each row is replaced only if it still holds what was read, so a
 * secret rotated meanwhile is left as its rotation wrote it. Safe to run again: a current secret
 * is skipped.
 */
export async function resealWebhookSecrets(dataSource: DataSource, box: SecretBox): Promise<ResealReport> {
  const report: ResealReport = { resealed: 0, current: 0, unreadable: [] };
  const rows = await rowsOf<{ id: string; sealed: string }>(
    dataSource.manager,
    'SELECT id, secret_sealed AS sealed FROM webhooks ORDER BY id',
  );
  for (const row of rows) {
    let next: string | null;
    try {
      next = box.reseal(row.sealed);
    } catch {
      report.unreadable.push(row.id);
      continue;
    }
    if (next === null) {
      report.current++;
      continue;
    }
    const written = await rowsOf(
      dataSource.manager,
      'UPDATE webhooks SET secret_sealed = $2 WHERE id = $1 AND secret_sealed = $3 RETURNING id',
      [row.id, next, row.sealed],
    );
    report.resealed += written.length;
  }
  return report;
}
