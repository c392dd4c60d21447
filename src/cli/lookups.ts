import type { DataSource } from 'typeorm';
import { isUuid } from '../kernel/ids';
import { Plan } from '../kernel/plans';
import { normalizeEmail } from '../modules/members/member.service';
import { CliError, UsageError } from './errors';

export interface OrganizationRef {
  id: string;
  name: string;
}

const LIST_HINT = 'list them with: npm run --silent cli -- orgs';

export function required<V extends object>(values: V, name: keyof V & string): string {
  const v: unknown = values[name];
  if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`--${name} is required`);
  return v.trim();
}

export function parsePlan(value: string | undefined): Plan | undefined {
  if (value === undefined) return undefined;
  const plan = value.toUpperCase() as Plan;
  if (!Object.values(Plan).includes(plan)) throw new UsageError(`--plan must be one of ${Object.values(Plan).join(', ')}`);
  return plan;
}

/** `--ttl` in whole seconds within [min, max], or undefined when not given. */
export function parseTtl(value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const ttl = Number(value);
  if (!Number.isInteger(ttl) || ttl < min || ttl > max)
    throw new UsageError(`--ttl must be a whole number of seconds from ${min} to ${max}`);
  return ttl;
}

export function parseEmail(value: string, option = 'email'): string {
  try {
    return normalizeEmail(value);
  } catch {
    throw new UsageError(`--${option} "${value}" is not an email address`);
  }
}

/**
 * `--org` by id or by name (exact, ignoring case; names are unique that way, see migration
 * OrganizationNameUnique). A UUID that is no organization's id is still tried as a name.
 */
export async function resolveOrganization(ds: DataSource, ref: string): Promise<OrganizationRef> {
  if (isUuid(ref)) {
    const [byId] = await ds.query('SELECT id, name FROM organizations WHERE id = $1', [ref]);
    if (byId) return byId;
  }
  const byName: OrganizationRef[] = await ds.query('SELECT id, name FROM organizations WHERE lower(name) = lower($1) ORDER BY created_at', [
    ref,
  ]);
  if (byName.length === 1) return byName[0];
  if (byName.length > 1) {
    throw new CliError(`--org "${ref}" names ${byName.length} organizations (${byName.map((o) => o.id).join(', ')}); pass one id`);
  }
  throw new CliError(`no organization "${ref}" (by id or name); ${LIST_HINT}`);
}

/** The user with this email, who must be a member of `org` (or, without one, of any organization). */
export async function findMember(ds: DataSource, email: string, org?: OrganizationRef): Promise<{ id: string; email: string }> {
  const [user]: { id: string; email: string }[] = await ds.query('SELECT id, email FROM users WHERE email = $1', [email]);
  if (!user) throw new CliError(`no user with email ${email}`);
  const [membership] = await ds.query(
    `SELECT 1 FROM memberships WHERE user_id = $1 ${org ? 'AND org_id = $2' : ''} LIMIT 1`,
    org ? [user.id, org.id] : [user.id],
  );
  if (!membership) {
    throw new CliError(
      org ? `${email} is not a member of organization ${org.name} (${org.id})` : `${email} is not a member of any organization`,
    );
  }
  return user;
}
