import type { DataSource } from 'typeorm';
import { ApiKeyStatus, type ApiKeyType } from '../../auth/api-key-states';
import type { Caller } from '../../auth/principal';
import { OrgScopedQuery } from '../../db/org-scoped-query';
import type { BidirectionalPageArgs, ListOrder, Page } from '../../db/pagination';
import { RowShape } from '../../db/row-shape';
import { orderedSqlPage } from '../../db/sql-page';
import { withFolds, type Fold, type Related } from '../../core/list-relations';
import { userFold } from '../members/user.fold';
import { actorFold, requestCountFold } from './actor.fold';
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

const ORDER_COLUMNS: Record<ApiKeyOrderBy['field'], Omit<ListOrder, 'direction'> & { column: string }> = {
  CREATED_AT: { property: 'createdAt', column: 'k.created_at', nullable: false, kind: 'date' },
  LAST_USED_AT: { property: 'lastUsedAt', column: 'k.last_used_at', nullable: true, kind: 'date' },
  EXPIRES_AT: { property: 'expiresAt', column: 'k.expires_at', nullable: true, kind: 'date' },
  NAME: { property: 'name', column: 'k.name', nullable: false, kind: 'text' },
};

function isFiltered(f: ApiKeyFilterArgs): boolean {
  return Boolean(f.status || f.type || f.ownerId || f.expiringWithinDays != null || f.search?.trim());
}

/** Reads of the caller's organization's keys; a deleted key is in none of them. */
export class ApiKeyQueries {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * One page in SQL we own. `selected` (the node fields the operation asks for) decides which
   * relations are folded into the same statement: owner, createdBy, revokedBy, requestCount.
   */
  async list(
    caller: Caller,
    args: BidirectionalPageArgs & { filter?: ApiKeyFilterArgs | null; orderBy?: ApiKeyOrderBy | null },
    selected: ReadonlySet<string> = new Set(),
  ): Promise<Page<ApiKey> & { related: Related }> {
    const q = new OrgScopedQuery('api_keys k', 'k', caller.principal.orgId).where('k.deleted_at IS NULL');
    const f = args.filter ?? {};
    const now = new Date();
    switch (f.status) {
      case ApiKeyStatus.REVOKED:
        q.where(`k.status = ${q.param(ApiKeyStatus.REVOKED)}`);
        break;
      case ApiKeyStatus.EXPIRED:
        q.where(`k.status <> ${q.param(ApiKeyStatus.REVOKED)} AND k.expires_at <= ${q.param(now)}`);
        break;
      case ApiKeyStatus.ACTIVE:
      case ApiKeyStatus.INACTIVE:
        q.where(`k.status = ${q.param(f.status)} AND (k.expires_at IS NULL OR k.expires_at > ${q.param(now)})`);
        break;
    }
    if (f.type) q.where(`k.type = ${q.param(f.type)}`);
    // A malformed owner id cannot match anything; answer with an empty page rather than an error.
    if (f.ownerId) q.where(isUuid(f.ownerId) ? `k.owner_user_id = ${q.param(f.ownerId)}` : 'false');
    if (f.expiringWithinDays != null) {
      if (!Number.isInteger(f.expiringWithinDays) || f.expiringWithinDays < 1 || f.expiringWithinDays > MAX_EXPIRES_IN_DAYS) {
        throw new BadUserInputError({ 'filter.expiringWithinDays': `expiringWithinDays must be between 1 and ${MAX_EXPIRES_IN_DAYS}.` });
      }
      // Keys that will actually expire: a revoked key never will (it is already dead), while an
      // INACTIVE one still does at its expiresAt (re-enabling does not extend it), as apiKey.expiring says.
      const horizon = new Date(now.getTime() + f.expiringWithinDays * DAY_MS);
      q.where(`k.status <> ${q.param(ApiKeyStatus.REVOKED)} AND k.expires_at > ${q.param(now)} AND k.expires_at <= ${q.param(horizon)}`);
    }
    const search = f.search?.trim();
    if (search) {
      if (search.length > MAX_NAME_LENGTH)
        throw new BadUserInputError({ 'filter.search': `search is at most ${MAX_NAME_LENGTH} characters.` });
      const like = q.param(`%${search.replace(/[\\%_]/g, '\\$&')}%`);
      q.where(`k.name ILIKE ${like} ESCAPE '\\' OR k.prefix = ${q.param(search)}`);
    }
    const ds = caller.db ?? this.dataSource;
    const folds: Fold[] = [];
    if (selected.has('owner')) folds.push(userFold(ds, 'ou', 'k.owner_user_id'));
    if (selected.has('createdBy')) folds.push(actorFold(ds, q, 'cb', 'k.created_by_kind', 'k.created_by_id'));
    if (selected.has('revokedBy')) folds.push(actorFold(ds, q, 'rb', 'k.revoked_by_kind', 'k.revoked_by_id'));
    if (selected.has('requestCount')) folds.push(requestCountFold('k'));
    const shape = RowShape.of(ds, ApiKey, 'k');
    const { select, joins, map, related } = withFolds(shape.select, folds, (row) => shape.from(row)!);
    const orderBy = args.orderBy ?? { field: 'CREATED_AT', direction: 'DESC' };
    const { column, ...order } = ORDER_COLUMNS[orderBy.field];
    const page = await orderedSqlPage(ds, { query: q, select, joins, column, map }, args, { ...order, direction: orderBy.direction }, 20);
    if (!isFiltered(f)) page.totalCount = () => this.liveCount(ds, caller.principal.orgId);
    return { ...page, related };
  }

  /** Every key not deleted: a counter the database keeps (migration LiveApiKeyCount), not a count over the keys. */
  private async liveCount(ds: DataSource, orgId: string): Promise<number> {
    const rows: { n: number }[] = await ds.query('SELECT live_api_keys AS n FROM organizations WHERE id = $1', [orgId]);
    return rows[0]?.n ?? 0;
  }

  async get(caller: Caller, id: string): Promise<ApiKey | null> {
    if (!isUuid(id)) return null;
    return (caller.db ?? this.dataSource)
      .getRepository(ApiKey)
      .createQueryBuilder('k')
      .where('k.id = :id AND k.orgId = :orgId AND k.deletedAt IS NULL', { id, orgId: caller.principal.orgId })
      .getOne();
  }
}
