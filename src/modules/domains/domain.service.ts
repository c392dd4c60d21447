import { randomBytes } from 'node:crypto';
import dns from 'node:dns';
import net from 'node:net';
import type { DataSource, EntityManager } from 'typeorm';
import type { Changes } from '../../core/changes';
import type { AccessModel } from '../../kernel/access';
import type { Caller } from '../../auth/principal';
import { isUniqueViolation } from '../../db/errors';
import { findOrgRow } from '../../db/org-scoped';
import { AppError, BadUserInputError, ConflictError, ErrorCode } from '../../kernel/errors';
import { enforce } from '../../kernel/capabilities';
import { domainRules, DOMAIN_OPERATIONS } from './domain.rules';
import { DOMAIN_AUDIT } from './domain.audit';
import { Domain } from './domain.entity';
import { canonicalHostname } from './hostname';

/** Resolves TXT records; injected so tests can answer for domains they do not own. */
export type TxtResolver = (name: string) => Promise<string[][]>;
export const systemTxtResolver: TxtResolver = (name) => dns.promises.resolveTxt(name);

/**
 * What a domain needs of the short links on it: how many there are, and to delete them with it
 * (`force: true`), inside the deleting change. The short-links feature provides it (its
 * `shortLinks` service): links build on domains, so domains names the need, not the feature.
 */
export interface LinksOnDomain {
  countOnDomainWithin(m: EntityManager, domainId: string): Promise<number>;
  deleteOnDomainWithin(m: EntityManager, domainId: string): Promise<void>;
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

export class DomainService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly access: AccessModel,
    private readonly resolveTxt: TxtResolver,
    /** Hostnames that are keygate itself and so cannot be claimed (e.g. from PUBLIC_URL). */
    private readonly ownHostnames: ReadonlySet<string>,
    private readonly changes: Changes,
    private readonly links: LinksOnDomain,
  ) {}

  async list(caller: Caller): Promise<Domain[]> {
    return (caller.db ?? this.dataSource).getRepository(Domain).find({
      where: { orgId: caller.principal.orgId },
      order: { createdAt: 'DESC', id: 'DESC' },
    });
  }

  async create(caller: Caller, rawHostname: string): Promise<Domain> {
    const hostname = this.validateHostname(rawHostname);
    try {
      return await this.changes.run(caller, DOMAIN_OPERATIONS.createDomain, async (tx) => {
        const { m, caller } = tx;
        const domain = m.getRepository(Domain).create({
          orgId: caller.principal.orgId,
          hostname,
          verificationToken: randomBytes(16).toString('hex'),
          verifiedAt: null,
        });
        await m.save(domain);
        await tx.audit(DOMAIN_AUDIT, 'DOMAIN_CREATED', {
          targetId: domain.id,
          targetName: hostname,
        });
        return domain;
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        // Taken, by this organization or another: the answer is the same, to leak nothing.
        throw new ConflictError(`${hostname} is already registered.`);
      }
      throw error;
    }
  }

  /** Looks up `_keygate.<hostname>` TXT and marks the domain verified when it holds the token. */
  async verify(caller: Caller, id: string): Promise<Domain> {
    const domain = await this.find((caller.db ?? this.dataSource).manager, caller, id);
    if (domain.verifiedAt) return domain;
    const { name, value } = domain.verificationRecord;
    let records: string[][];
    try {
      records = await this.resolveTxt(name);
    } catch {
      records = [];
    }
    // A TXT record may arrive split in 255-byte chunks; join them before comparing.
    if (!records.some((chunks) => chunks.join('').trim() === value)) {
      throw new AppError(
        ErrorCode.CONFLICT,
        `No TXT record ${name} with value ${value} was found. Add it and try again; DNS changes can take a few minutes.`,
        {
          record: { name, value },
        },
      );
    }
    return this.changes.run(caller, DOMAIN_OPERATIONS.verifyDomain, async (tx) => {
      const { m, caller } = tx;
      const locked = await this.find(m, caller, id, true);
      if (locked.verifiedAt) return locked;
      locked.verifiedAt = new Date();
      await m.save(locked);
      await tx.audit(DOMAIN_AUDIT, 'DOMAIN_VERIFIED', {
        targetId: locked.id,
        targetName: locked.hostname,
      });
      return locked;
    });
  }

  async delete(caller: Caller, id: string, force: boolean): Promise<string> {
    return this.changes.run(caller, DOMAIN_OPERATIONS.deleteDomain, async (tx) => {
      const { m, caller } = tx;
      const domain = await this.find(m, caller, id, true);
      const linkCount = await this.links.countOnDomainWithin(m, domain.id);
      if (linkCount > 0 && !force) {
        throw new ConflictError(`${domain.hostname} still has ${linkCount} short link(s); delete them first or pass force: true.`);
      }
      enforce(domainRules(caller.principal, this.access, linkCount).delete());
      if (linkCount > 0) await this.links.deleteOnDomainWithin(m, domain.id);
      await m.delete(Domain, { id: domain.id });
      await tx.audit(DOMAIN_AUDIT, 'DOMAIN_DELETED', {
        targetId: domain.id,
        targetName: domain.hostname,
        metadata: { deletedLinkCount: linkCount },
      });
      return domain.id;
    });
  }

  private find(m: EntityManager, caller: Caller, id: string, lock = false): Promise<Domain> {
    return findOrgRow(m, Domain, caller.principal.orgId, id, { what: 'Domain', lock });
  }

  /** Lower-cases, converts IDNs to punycode, refuses IPs, single labels and keygate's own host. */
  validateHostname(raw: string): string {
    const field = 'hostname';
    const trimmed = raw.trim().replace(/\.$/, '');
    if (!trimmed || trimmed.length > 253) throw new BadUserInputError({ [field]: 'hostname must be 1 to 253 characters.' });
    if (net.isIP(trimmed.replace(/^\[|\]$/g, '')))
      throw new BadUserInputError({ [field]: 'hostname must be a domain name, not an IP address.' });
    if (/[/:@?#\s]/.test(trimmed)) throw new BadUserInputError({ [field]: 'hostname must be a bare host name such as links.example.com.' });
    const ascii = canonicalHostname(raw);
    if (!ascii || ascii.length > 253) throw new BadUserInputError({ [field]: 'hostname is not a valid domain name.' });
    const labels = ascii.split('.');
    if (labels.length < 2 || !labels.every((l) => LABEL.test(l)) || /^[0-9]+$/.test(labels.at(-1)!)) {
      throw new BadUserInputError({ [field]: 'hostname must be a fully qualified domain name such as links.example.com.' });
    }
    if (this.ownHostnames.has(ascii)) throw new BadUserInputError({ [field]: `${ascii} is this server's own host.` });
    return ascii;
  }
}
