import type { DataSource } from 'typeorm';
import type { AccessModel, Role } from '../kernel/access';
import { AuthFailureReason, UnauthenticatedError } from '../kernel/errors';
import { isUuid } from '../kernel/ids';
import type { Plan } from '../kernel/plans';
import { hashSecret } from './key-format';
import type { UserPrincipal } from './principal';
import type { SessionClaims } from './session-tokens';

/** How a request names its person: a keygate user id, a provider identity, or a console session. */
export type PersonRef =
  { kind: 'user'; userId: string } | { kind: 'identity'; issuer: string; subject: string } | { kind: 'browser'; token: string };

/** `$1` (and `$3`) of PRINCIPAL_LOOKUP for each kind of reference. */
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

const LOOKUPS = Object.fromEntries((Object.keys(USER_ID_OF) as PersonRef['kind'][]).map((k) => [k, principalLookup(k)])) as Record<
  PersonRef['kind'],
  string
>;

/**
 * A provider identity seen for the first time is linked to the keygate user with the same email,
 * when the provider says the email is verified and that user was invited (is a member somewhere).
 * Never to a user who already has an identity at this issuer: a second account at the same
 * provider claiming the same email must not take the first one over.
 */
const LINK_IDENTITY = `
  INSERT INTO user_identities (issuer, subject, user_id)
  SELECT $1::varchar, $2::varchar, u.id FROM users u
   WHERE u.email = $3
     AND EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id)
     AND NOT EXISTS (SELECT 1 FROM user_identities i WHERE i.user_id = u.id AND i.issuer = $1::varchar)
  ON CONFLICT DO NOTHING
  RETURNING user_id`;

interface PrincipalRow {
  user_id: string;
  email: string;
  org_id: string | null;
  role: Role | null;
  plan: Plan | null;
}

/** The lookup found no person: the identity is not linked yet, or the session ended. */
const NO_PERSON = 'no such user: unlinked identity, unknown user id, or an ended session';

const invalid = (detail: string) => new UnauthenticatedError(AuthFailureReason.INVALID_SESSION, detail);

/**
 * Turns a verified session (bearer token or console cookie) into the principal of one membership.
 * Every failure answers INVALID_SESSION; the cause travels in the error's `detail` for the log.
 */
export class UserPrincipals {
  constructor(
    private readonly dataSource: DataSource,
    private readonly access: AccessModel,
  ) {}

  /** From a verified bearer token and the organization the request asks for. */
  async forClaims(claims: SessionClaims, requestedOrg: string | null): Promise<UserPrincipal> {
    if (claims.orgId && requestedOrg && claims.orgId !== requestedOrg) {
      throw invalid(`the token is for organization ${claims.orgId}; x-keygate-org asks for ${requestedOrg}`);
    }
    const org = claims.orgId ?? requestedOrg;
    if (claims.kind === 'keygate') {
      if (!isUuid(claims.userId)) throw invalid('the token subject is not a keygate user id');
      return this.forPerson({ kind: 'user', userId: claims.userId }, org);
    }
    const identity: PersonRef = { kind: 'identity', issuer: claims.issuer, subject: claims.subject };
    try {
      return await this.forPerson(identity, org);
    } catch (error) {
      if (!(error instanceof UnauthenticatedError && error.detail === NO_PERSON)) throw error;
    }
    await this.linkIdentity(claims);
    return this.forPerson(identity, org);
  }

  async forPerson(person: PersonRef, org: string | null): Promise<UserPrincipal> {
    if (org !== null && !isUuid(org)) throw invalid(`the organization "${String(org).slice(0, 60)}" is not an organization id`);
    const first = person.kind === 'user' ? person.userId : person.kind === 'identity' ? person.issuer : hashSecret(person.token);
    const params = person.kind === 'identity' ? [first, org, person.subject] : [first, org];
    const rows: PrincipalRow[] = await this.dataSource.query(LOOKUPS[person.kind], params);
    const row = rows[0];
    if (!row) throw invalid(NO_PERSON);
    if (!row.org_id || !row.role || !row.plan) {
      throw invalid(org ? `user ${row.user_id} is not a member of organization ${org}` : `user ${row.user_id} belongs to no organization`);
    }
    return {
      kind: 'USER',
      userId: row.user_id,
      orgId: row.org_id,
      role: row.role,
      permissions: this.access.roles[row.role],
      plan: row.plan,
      email: row.email,
    };
  }

  /** The keygate user a provider identity signs in as, linking it on its first sign-in (the console's OIDC callback). */
  async identify(claims: Extract<SessionClaims, { kind: 'external' }>): Promise<string> {
    const rows: { user_id: string }[] = await this.dataSource.query(
      'SELECT user_id FROM user_identities WHERE issuer = $1 AND subject = $2',
      [claims.issuer, claims.subject],
    );
    return rows[0]?.user_id ?? this.linkIdentity(claims);
  }

  private async linkIdentity(claims: Extract<SessionClaims, { kind: 'external' }>): Promise<string> {
    const who = `${claims.issuer} subject ${claims.subject}`;
    if (!claims.email) throw invalid(`${who} is not linked to a user and its token carries no email`);
    if (!claims.emailVerified) throw invalid(`${who} is not linked to a user and its email ${claims.email} is not verified`);
    const rows: { user_id: string }[] = await this.dataSource.query(LINK_IDENTITY, [claims.issuer, claims.subject, claims.email]);
    if (!rows[0]) throw invalid(`${who}: ${claims.email} is not an invited member, or that user is linked to another identity there`);
    if (claims.name) {
      await this.dataSource.query(`UPDATE users SET name = $2 WHERE id = $1 AND name IS NULL`, [
        rows[0].user_id,
        claims.name.slice(0, 100),
      ]);
    }
    return rows[0].user_id;
  }
}
