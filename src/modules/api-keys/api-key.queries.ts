import { Brackets, type DataSource } from 'typeorm';
import { ApiKeyStatus, type ApiKeyType } from '../../auth/api-key-states';
import type { Caller } from '../../auth/principal';
import { orderedPage, type BidirectionalPageArgs, type ListOrder, type Page } from '../../db/pagination';
import { BadUserInputError } from '../../kernel/errors';
import { isUuid } from '../../kernel/ids';
import { ApiKey } from './api-key.entity';
import { DAY_MS, MAX_EXPIRES_IN_DAYS, MAX_NAME_LENGTH } from './api-key.rules';

export interface ApiKeyFilterArgs {
  status?: ApiKeyStatus | null;
  type?: ApiKeyType | null;
  ownerId?: string | null;
  expiringWithinDays?: number | null;
  search?: string | null;
}

export type ApiKeyOrderBy = { field: 'CREATED_AT' | 'LAST_USED_AT' | 'EXPIRES_AT' | 'NAME'; direction: 'ASC' | 'DESC' };

const ORDER_COLUMNS: Record<ApiKeyOrderBy['field'], Omit<ListOrder, 'direction'>> = {
  CREATED_AT: { property: 'createdAt', nullable: false, kind: 'date' },
  LAST_USED_AT: { property: 'lastUsedAt', nullable: true, kind: 'date' },
  EXPIRES_AT: { property: 'expiresAt', nullable: true, kind: 'date' },
  NAME: { property: 'name', nullable: false, kind: 'text' },
};

function isFiltered(f: ApiKeyFilterArgs): boolean {
  return Boolean(f.status || f.type || f.ownerId || f.expiringWithinDays != null || f.search?.trim());
}

/** Reads of the caller's organization's keys; a deleted key is in none of them. */
export class ApiKeyQueries {
  constructor(private readonly dataSource: DataSource) {}

  async list(
    caller: Caller,
    args: BidirectionalPageArgs & { filter?: ApiKeyFilterArgs | null; orderBy?: ApiKeyOrderBy | null },
  ): Promise<Page<ApiKey>> {
    const qb = this.dataSource
      .getRepository(ApiKey)
      .createQueryBuilder('k')
      .where('k.orgId = :orgId', { orgId: caller.principal.orgId })
      .andWhere('k.deletedAt IS NULL');
    const f = args.filter ?? {};
    const now = new Date();
    switch (f.status) {
      case ApiKeyStatus.REVOKED:
        qb.andWhere('k.storedStatus = :revoked', { revoked: ApiKeyStatus.REVOKED });
        break;
      case ApiKeyStatus.EXPIRED:
        qb.andWhere('k.storedStatus <> :revoked AND k.expiresAt <= :now', { revoked: ApiKeyStatus.REVOKED, now });
        break;
      case ApiKeyStatus.ACTIVE:
      case ApiKeyStatus.INACTIVE:
        qb.andWhere('k.storedStatus = :status AND (k.expiresAt IS NULL OR k.expiresAt > :now)', { status: f.status, now });
        break;
    }
    if (f.type) qb.andWhere('k.type = :type', { type: f.type });
    if (f.ownerId) {
      // A malformed id cannot match anything; answer with an empty page rather than an error.
      if (!isUuid(f.ownerId)) qb.andWhere('false');
      else qb.andWhere('k.ownerUserId = :ownerId', { ownerId: f.ownerId });
    }
    if (f.expiringWithinDays != null) {
      if (!Number.isInteger(f.expiringWithinDays) || f.expiringWithinDays < 1 || f.expiringWithinDays > MAX_EXPIRES_IN_DAYS) {
        throw new BadUserInputError({ 'filter.expiringWithinDays': `expiringWithinDays must be between 1 and ${MAX_EXPIRES_IN_DAYS}.` });
      }
      // Keys that will actually expire: a revoked key never will (it is already dead), while an
      // INACTIVE one still does at its expiresAt (re-enabling does not extend it), as apiKey.expiring says.
      qb.andWhere('k.storedStatus <> :revokedKey AND k.expiresAt > :now AND k.expiresAt <= :horizon', {
        revokedKey: ApiKeyStatus.REVOKED,
        now,
        horizon: new Date(now.getTime() + f.expiringWithinDays * DAY_MS),
      });
    }
    const search = f.search?.trim();
    if (search) {
      if (search.length > MAX_NAME_LENGTH)
        throw new BadUserInputError({ 'filter.search': `search is at most ${MAX_NAME_LENGTH} characters.` });
      qb.andWhere(
        new Brackets((w) =>
          w
            .where("k.name ILIKE :search ESCAPE '\\'", { search: `%${search.replace(/[\\%_]/g, '\\$&')}%` })
            .orWhere('k.prefix = :exactPrefix', { exactPrefix: search }),
        ),
      );
    }
    const orderBy = args.orderBy ?? { field: 'CREATED_AT', direction: 'DESC' };
    const page = await orderedPage(qb, args, { ...ORDER_COLUMNS[orderBy.field], direction: orderBy.direction }, 20);
    if (!isFiltered(f)) page.totalCount = () => this.liveCount(caller.principal.orgId);
    return page;
  }

  /** Every key not deleted: a counter the database keeps (migration LiveApiKeyCount), not a count over the keys. */
  private async liveCount(orgId: string): Promise<number> {
    const rows: { n: number }[] = await this.dataSource.query('SELECT live_api_keys AS n FROM organizations WHERE id = $1', [orgId]);
    return rows[0]?.n ?? 0;
  }

  async get(caller: Caller, id: string): Promise<ApiKey | null> {
    if (!isUuid(id)) return null;
    return this.dataSource
      .getRepository(ApiKey)
      .createQueryBuilder('k')
      .where('k.id = :id AND k.orgId = :orgId AND k.deletedAt IS NULL', { id, orgId: caller.principal.orgId })
      .getOne();
  }
}
