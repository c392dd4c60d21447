import type { AccessModel } from '../kernel/access';
import { AuthFailureReason, UnauthenticatedError } from '../kernel/errors';
import { isUuid } from '../kernel/ids';
import type { PersonDirectory, PersonRef } from './directories';
import type { UserPrincipal } from './principal';
import type { SessionClaims } from './session-tokens';

/** The lookup found no person: the identity is not linked yet, or the session ended. */
const NO_PERSON = 'no such user: unlinked identity, unknown user id, or an ended session';

const invalid = (detail: string) => new UnauthenticatedError(AuthFailureReason.INVALID_SESSION, detail);

/**
 * Turns a verified session (bearer token or console cookie) into the principal of one membership.
 * Every failure answers INVALID_SESSION; the cause travels in the error's `detail` for the log.
 */
export class UserPrincipals {
  constructor(
    private readonly people: PersonDirectory,
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
    const row = await this.people.principalOf(person, org);
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
    return (await this.people.linkedUser(claims.issuer, claims.subject)) ?? this.linkIdentity(claims);
  }

  private async linkIdentity(claims: Extract<SessionClaims, { kind: 'external' }>): Promise<string> {
    const who = `${claims.issuer} subject ${claims.subject}`;
    if (!claims.email) throw invalid(`${who} is not linked to a user and its token carries no email`);
    if (!claims.emailVerified) throw invalid(`${who} is not linked to a user and its email ${claims.email} is not verified`);
    const userId = await this.people.link({
      issuer: claims.issuer,
      subject: claims.subject,
      email: claims.email,
      name: claims.name ?? null,
    });
    if (!userId) throw invalid(`${who}: ${claims.email} is not an invited member, or that user is linked to another identity there`);
    return userId;
  }
}
