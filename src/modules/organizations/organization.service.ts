import type { DataSource, EntityManager } from 'typeorm';
import { ApiKeyType } from '../../auth/api-key-states';
import type { AuthInvalidator } from '../../auth/auth-invalidation';
import type { Caller } from '../../auth/principal';
import { Role, type AccessModel } from '../../kernel/access';
import { BadUserInputError, ConflictError } from '../../kernel/errors';
import { isUniqueViolation } from '../../db/errors';
import type { ApiKeyService } from '../api-keys/api-key.service';
import type { Changes } from '../../core/changes';
import { Membership } from '../members/membership.entity';
import { normalizeEmail, upsertUser } from '../members/member.service';
import type { User } from '../members/user.entity';
import { Plan } from '../../kernel/plans';
import { ORGANIZATION_AUDIT } from './organization.audit';
import { Organization } from './organization.entity';

export interface BootstrapResult {
  organization: Organization;
  owner: User;
  apiKey: { id: string; secret: string };
}

/** A first start may create no key: one that nobody is shown would be a live secret with no keeper. */
export type FirstStartResult = Omit<BootstrapResult, 'apiKey'> & { apiKey: BootstrapResult['apiKey'] | null };

/** Any fixed 64-bit number (as text: JS numbers hold 53 bits): serializes first-start bootstraps of several instances. */
const BOOTSTRAP_LOCK = '30229394607928421';

/** CONFLICT: organization names are unique, ignoring case. */
function nameTaken(name: string, id?: string): ConflictError {
  return new ConflictError(`An organization named "${name}"${id ? ` (${id})` : ''} already exists; names are unique, ignoring case.`);
}

export class OrganizationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly apiKeys: ApiKeyService,
    private readonly access: AccessModel,
    private readonly changes: Changes,
    private readonly invalidator: AuthInvalidator,
  ) {}

  /**
   * Creates an organization, its owner (reusing the user if the email is known) and a BOT key
   * named `bootstrap` with every permission, in one transaction.
   */
  async bootstrap(input: { name: string; ownerEmail: string; plan?: Plan }): Promise<BootstrapResult> {
    return this.dataSource.transaction((m) => this.bootstrapWithin(m, input));
  }

  /**
   * Bootstraps the "Default" organization only when there is none at all (first start), with
   * its all-permission key only when that key will be shown to someone (`withKey`).
   */
  async bootstrapIfEmpty(options: { withKey: boolean } = { withKey: true }): Promise<FirstStartResult | null> {
    return this.dataSource.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK]);
      if (await m.getRepository(Organization).exists()) return null;
      return this.bootstrapWithin(m, { name: 'Default', ownerEmail: 'owner@localhost' }, options.withKey);
    });
  }

  /** The plan sets every key's rate limit, so cached verdicts of the organization go too. */
  async setPlan(orgId: string, plan: Plan): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      await m.update(Organization, { id: orgId }, { plan });
      await this.invalidator.within(m, { kind: 'org', orgId });
    });
  }

  /** Names are unique ignoring case (index organizations_name_lower_key); this says which one holds it. */
  private async assertNameFree(m: EntityManager, name: string): Promise<void> {
    const taken: { id: string; name: string }[] = await m.query('SELECT id, name FROM organizations WHERE lower(name) = lower($1)', [name]);
    if (taken[0]) throw nameTaken(taken[0].name, taken[0].id);
  }

  private async bootstrapWithin(m: EntityManager, input: { name: string; ownerEmail: string; plan?: Plan }): Promise<BootstrapResult>;
  private async bootstrapWithin(
    m: EntityManager,
    input: { name: string; ownerEmail: string; plan?: Plan },
    withKey: boolean,
  ): Promise<FirstStartResult>;
  private async bootstrapWithin(
    m: EntityManager,
    input: { name: string; ownerEmail: string; plan?: Plan },
    withKey = true,
  ): Promise<FirstStartResult> {
    const name = input.name.trim();
    if (name.length < 1 || name.length > 100) throw new BadUserInputError({ org: 'Organization name must be 1 to 100 characters.' });
    const plan = input.plan ?? Plan.FREE;
    if (!Object.values(Plan).includes(plan))
      throw new BadUserInputError({ plan: `plan must be one of ${Object.values(Plan).join(', ')}.` });
    await this.assertNameFree(m, name);
    const owner = await upsertUser(m, normalizeEmail(input.ownerEmail));
    const organization = m.getRepository(Organization).create({ name, plan });
    try {
      await m.save(organization);
    } catch (error) {
      // Another transaction took the name between the check and the insert.
      if (isUniqueViolation(error)) throw nameTaken(name);
      throw error;
    }
    await m.insert(Membership, { orgId: organization.id, userId: owner.id, role: Role.OWNER });

    // The owner creates the bootstrap key, so the audit log starts with a real actor.
    const caller: Caller = {
      principal: {
        kind: 'USER',
        userId: owner.id,
        orgId: organization.id,
        role: Role.OWNER,
        permissions: this.access.roles[Role.OWNER],
        plan,
        email: owner.email,
      },
      ip: null,
      userAgent: 'keygate bootstrap',
    };
    const tx = this.changes.changeIn(m, caller);
    await tx.audit(ORGANIZATION_AUDIT, 'ORGANIZATION_CREATED', {
      targetId: organization.id,
      targetName: organization.name,
      metadata: { plan, owner: owner.email },
    });
    if (!withKey) return { organization, owner, apiKey: null };
    const created = await this.apiKeys.createWithin(tx, {
      name: 'bootstrap',
      type: ApiKeyType.BOT,
      permissions: this.access.storedJsonFromMask(this.access.ALL),
    });
    return { organization, owner, apiKey: { id: created.apiKey.id, secret: created.secret } };
  }
}
