import type { EntityManager } from 'typeorm';
import { ConflictError } from '../../kernel/errors';

/**
 * Endpoints one organization may have. Every event is fanned out to each subscribed endpoint (a
 * queue job and a request each) in the dispatcher's transaction, so their number multiplies every
 * event's cost, for every other organization's events too.
 */
export const MAX_WEBHOOKS_PER_ORGANIZATION = 25;

/**
 * Refuses a new endpoint past MAX_WEBHOOKS_PER_ORGANIZATION, in the creating transaction, under a
 * lock per organization so two creations at once cannot both take the last place.
 */
export async function assertRoomForWebhook(m: EntityManager, orgId: string): Promise<void> {
  await m.query(`SELECT pg_advisory_xact_lock(hashtext('keygate:webhooks:' || $1))`, [orgId]);
  const [{ n }] = (await m.query('SELECT count(*)::int AS n FROM webhooks WHERE org_id = $1', [orgId])) as { n: number }[];
  if (n >= MAX_WEBHOOKS_PER_ORGANIZATION) {
    throw new ConflictError(`An organization has at most ${MAX_WEBHOOKS_PER_ORGANIZATION} webhooks: delete one before creating another.`);
  }
}
