import type { DataSource, EntityManager } from 'typeorm';
import type { KeyDirectory, KeyRow } from '../../auth/directories';

/** The columns a key verdict needs: the secret, its key, and the organization's plan. */
const VERDICT_COLUMNS = `s.id AS secret_id, k.id AS key_id, k.org_id, k.name, k.prefix, k.type, k.owner_user_id, k.permissions,
         k.status, k.expires_at, k.deleted_at, k.rate_limit_per_minute, s.ends_at AS secret_ends_at, o.plan`;

/**
 * Everything authentication needs of a key, in one indexed query: the secret by its hash, its
 * key, the organization's plan and, for USER keys, the owner's current role.
 */
/** The lookup that finds a principal by its secret (outside any request budget: db/request-budget.ts). */
export const BY_SECRET_HASH = `
  SELECT ${VERDICT_COLUMNS}, m.role AS owner_role
    FROM api_key_secrets s
    JOIN api_keys k ON k.id = s.api_key_id
    JOIN organizations o ON o.id = k.org_id
    LEFT JOIN memberships m ON m.org_id = k.org_id AND m.user_id = k.owner_user_id
   WHERE s.secret_hash = $1`;

/**
 * The same inside a change's transaction, FOR KEY SHARE on the key and the owner's membership:
 * a revocation, removal or demotion locks those rows FOR UPDATE, so the two serialise.
 */
const LOCKED = `
  SELECT ${VERDICT_COLUMNS},
         (SELECT ms.role FROM memberships ms WHERE ms.org_id = k.org_id AND ms.user_id = k.owner_user_id FOR KEY SHARE) AS owner_role
    FROM api_key_secrets s
    JOIN api_keys k ON k.id = s.api_key_id
    JOIN organizations o ON o.id = k.org_id
   WHERE s.id = $1 AND k.id = $2 AND k.org_id = $3
     FOR KEY SHARE OF k`;

/** The api-keys feature's answers to authentication (auth/directories.ts). */
export class ApiKeyDirectory implements KeyDirectory {
  constructor(private readonly dataSource: DataSource) {}

  async bySecretHash(hash: string): Promise<KeyRow | null> {
    const rows: KeyRow[] = await this.dataSource.query(BY_SECRET_HASH, [hash]);
    return rows[0] ?? null;
  }

  async lockedWithin(m: EntityManager, secretId: string, keyId: string, orgId: string): Promise<KeyRow | null> {
    const rows: KeyRow[] = await m.query(LOCKED, [secretId, keyId, orgId]);
    return rows[0] ?? null;
  }
}
