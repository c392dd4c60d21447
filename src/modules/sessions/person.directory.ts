import type { DataSource, EntityManager } from 'typeorm';
import type { PersonDirectory, PersonRef, PersonRow } from '../../auth/directories';
import type { Role } from '../../kernel/access';
import type { Plan } from '../../kernel/plans';

/** `$1` (and `$3`) of the principal lookup for each kind of reference. */
const USER_ID_OF: Record<PersonRef['kind'], string> = {
  user: '$1::uuid',
  identity: '(SELECT i.user_id FROM user_identities i WHERE i.issuer = $1 AND i.subject = $3)',
  browser: '(SELECT s.user_id FROM browser_sessions s WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now())',
};

/**
 * The person and the membership the request acts through, in one query: the organization asked
 * for (`$2`), or else the person's oldest membership. No row: no such person (an unlinked identity,
 * an ended session). A row without org_id: not a member there.
 */
const principalLookup = (kind: PersonRef['kind']) => `
  SELECT u.id AS user_id, u.email, m.org_id, m.role, o.plan
    FROM users u
    LEFT JOIN LATERAL (
      SELECT ms.org_id, ms.role FROM memberships ms
       WHERE ms.user_id = u.id AND ($2::uuid IS NULL OR ms.org_id = $2::uuid)
       ORDER BY ms.joined_at, ms.org_id LIMIT 1) m ON true
    LEFT JOIN organizations o ON o.id = m.org_id
   WHERE u.id = ${USER_ID_OF[kind]}`;

/** The lookups that find a signed-in principal (outside any request budget: db/request-budget.ts). */
export const LOOKUPS = Object.fromEntries((Object.keys(USER_ID_OF) as PersonRef['kind'][]).map((k) => [k, principalLookup(k)])) as Record<
  PersonRef['kind'],
  string
>;

/**
 * A console session acting in an organization for the first time marks that membership joined
 * (invited members are pending until then), in the same statement. Only that organization's
 * membership: signing in to one organization tells no other when, or whether, the person signed
 * in. The UPDATE matches a row once per membership; after that it finds nothing to change.
 */
LOOKUPS.browser = `
  WITH p AS (${principalLookup('browser')}),
       joined AS (UPDATE memberships ms SET first_signed_in_at = now()
                    FROM p WHERE ms.user_id = p.user_id AND ms.org_id = p.org_id AND ms.first_signed_in_at IS NULL)
  SELECT * FROM p`;

/** A membership inside a change's transaction, FOR KEY SHARE against removal or demotion. */
const MEMBERSHIP_LOCKED = `
  SELECT m.role, o.plan, u.email
    FROM memberships m
    JOIN organizations o ON o.id = m.org_id
    JOIN users u ON u.id = m.user_id
   WHERE m.org_id = $1 AND m.user_id = $2
     FOR KEY SHARE OF m`;

/**
 * A provider identity seen for the first time is linked to the keygate user with the same email,
 * when that user was invited (is a member somewhere). Never to a user who already has an identity
 * at this issuer: a second account at the same provider claiming the same email must not take the
 * first one over.
 */
const LINK_IDENTITY = `
  INSERT INTO user_identities (issuer, subject, user_id)
  SELECT $1::varchar, $2::varchar, u.id FROM users u
   WHERE u.email = $3
     AND EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id)
     AND NOT EXISTS (SELECT 1 FROM user_identities i WHERE i.user_id = u.id AND i.issuer = $1::varchar)
  ON CONFLICT DO NOTHING
  RETURNING user_id`;

/** The sessions feature's answers to authentication about people (auth/directories.ts). */
export class SessionPersonDirectory implements PersonDirectory {
  constructor(private readonly dataSource: DataSource) {}

  async principalOf(ref: PersonRef, org: string | null): Promise<PersonRow | null> {
    const first = ref.kind === 'user' ? ref.userId : ref.kind === 'identity' ? ref.issuer : ref.tokenHash;
    const params = ref.kind === 'identity' ? [first, org, ref.subject] : [first, org];
    const rows: PersonRow[] = await this.dataSource.query(LOOKUPS[ref.kind], params);
    return rows[0] ?? null;
  }

  async membershipWithin(m: EntityManager, orgId: string, userId: string): Promise<{ role: Role; plan: Plan; email: string } | null> {
    const rows: { role: Role; plan: Plan; email: string }[] = await m.query(MEMBERSHIP_LOCKED, [orgId, userId]);
    return rows[0] ?? null;
  }

  async linkedUser(issuer: string, subject: string): Promise<string | null> {
    const rows: { user_id: string }[] = await this.dataSource.query(
      'SELECT user_id FROM user_identities WHERE issuer = $1 AND subject = $2',
      [issuer, subject],
    );
    return rows[0]?.user_id ?? null;
  }

  async link(identity: { issuer: string; subject: string; email: string; name: string | null }): Promise<string | null> {
    const rows: { user_id: string }[] = await this.dataSource.query(LINK_IDENTITY, [identity.issuer, identity.subject, identity.email]);
    const userId = rows[0]?.user_id ?? null;
    if (userId && identity.name) {
      await this.dataSource.query(`UPDATE users SET name = $2 WHERE id = $1 AND name IS NULL`, [userId, identity.name.slice(0, 100)]);
    }
    return userId;
  }
}
