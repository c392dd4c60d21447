import { createHash } from 'node:crypto';
import pg from 'pg';
import type { CapturedStatement } from '../sql-counter';

/**
 * What the peer stacks (bench/stacks/*) share: the pool, the key check, the list SQL and the
 * schema text. Each peer is what a team would write instead of keygate — an SDL schema, resolvers
 * on `pg`, the permission library of its stack — and none of them imports keygate. Only the SQL is
 * keygate's own: the runner captures the statements keygate sent for the bench's list documents
 * and hands them over (BENCH_STATEMENTS), so every server reads the same rows with the same plan.
 *
 * Bench-only, on loopback: the jit peers (Yoga + @envelop/graphql-jit, Mercurius) compile client
 * documents with graphql-jit, which writes literal arguments into the code it generates (see
 * shared/STACK.md); the bench sends three constant documents. Never serve these to a network.
 */
export interface PeerStatements {
  /** The organization the statements were captured for: its id in their parameters is the caller's. */
  orgId: string;
  apiKeys: CapturedStatement[];
  shortLinks: CapturedStatement[];
}

/** A verified key: its organization and its scopes (`apiKeys:read`, …). */
export interface Caller {
  kind: 'API_KEY';
  orgId: string;
  scopes: ReadonlySet<string>;
  /** The same scopes as a list, for libraries that take one. */
  scopeList: string[];
}

export interface Running {
  port: number;
  close(): Promise<void>;
}

/** The scopes a key's stored grant (`{ "apiKeys": ["read", …], … }`) names. */
function scopesOf(permissions: Record<string, string[]>): string[] {
  return Object.entries(permissions ?? {}).flatMap(([resource, actions]) => actions.map((a) => `${resource}:${a}`));
}

const KEY_SQL = `SELECT k.org_id, k.permissions FROM api_key_secrets s JOIN api_keys k ON k.id = s.api_key_id
  WHERE s.secret_hash = $1 AND (s.ends_at IS NULL OR s.ends_at > now())
    AND k.status = 'ACTIVE' AND k.deleted_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())`;

/**
 * The key check every peer makes: the `x-api-key` header's SHA-256, looked up once in the
 * database and then in a Map (as keygate's verification cache hit: one hash, one lookup). BOT
 * keys only, as the bench uses: a USER key's grant would also be cut to its owner's role.
 */
export class KeyCheck {
  private readonly known = new Map<string, Caller>();
  constructor(private readonly pool: pg.Pool) {}

  async verify(secret: unknown): Promise<Caller | null> {
    if (typeof secret !== 'string' || secret.length === 0 || secret.length > 200) return null;
    const hash = createHash('sha256').update(secret).digest('hex');
    const hit = this.known.get(hash);
    if (hit) return hit;
    const { rows } = await this.pool.query<{ org_id: string; permissions: Record<string, string[]> }>(KEY_SQL, [hash]);
    if (!rows.length) return null;
    const scopeList = scopesOf(rows[0].permissions);
    const caller: Caller = { kind: 'API_KEY', orgId: rows[0].org_id, scopes: new Set(scopeList), scopeList };
    this.known.set(hash, caller);
    return caller;
  }
}

type Row = Record<string, unknown>;

/**
 * A column by name: plain (`owner_user_id`), aliased by TypeORM (`k_owner_user_id`) or by hand
 * (`k.ownerUserId`) — compared without the alias, case and separators.
 */
function columnOf(row: Row, column: string): string {
  if (column in row) return column;
  const norm = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');
  const want = norm(column);
  const key = Object.keys(row).find((k) => norm(k) === want) ?? Object.keys(row).find((k) => norm(k.slice(k.search(/[._]/) + 1)) === want);
  if (!key) throw new Error(`no column ${column} in ${Object.keys(row).join(', ')}`);
  return key;
}

/** Reads rows by column name, resolving the aliased key once per result. */
export function reader(rows: Row[]): (row: Row, column: string) => unknown {
  const keys = new Map<string, string>();
  return (row, column) => {
    let key = keys.get(column);
    if (key === undefined) keys.set(column, (key = columnOf(rows[0], column)));
    return row[key];
  };
}

export interface ApiKeyNode {
  id: string;
  name: string;
  owner: { email: string } | null;
  createdBy: { kind: 'USER' | 'API_KEY'; id: string; name: string } | null;
  requestCount: number;
}

export interface ShortLinkNode {
  id: string;
  slug: string;
  domain: { id: string; hostname: string } | null;
  clicks: number;
}

/**
 * The two lists, read with keygate's statements: one statement each, the relations joined under
 * keygate's aliases (`ou.` owner, `cbu.`/`cbk.` creator, `d.` domain). If keygate ever sends
 * more than one statement for a list, this says so rather than measuring something else.
 */
export class Lists {
  private readonly keys: CapturedStatement;
  private readonly links: CapturedStatement;

  constructor(
    private readonly pool: pg.Pool,
    private readonly statements: PeerStatements,
  ) {
    for (const list of ['apiKeys', 'shortLinks'] as const) {
      if (statements[list].length !== 1) {
        throw new Error(
          `keygate sent ${statements[list].length} statements for ${list}; the peers replay the one-statement (joined) form only`,
        );
      }
    }
    [this.keys, this.links] = [statements.apiKeys[0], statements.shortLinks[0]];
  }

  private query(s: CapturedStatement, caller: Caller): Promise<pg.QueryResult<Row>> {
    return this.pool.query<Row>(
      s.text,
      s.values.map((v) => (v === this.statements.orgId ? caller.orgId : v)),
    );
  }

  async apiKeys(caller: Caller, first: number): Promise<{ nodes: ApiKeyNode[] }> {
    const { rows } = await this.query(this.keys, caller);
    const get = reader(rows);
    const nodes = rows.slice(0, first).map((row): ApiKeyNode => {
      const kind = get(row, 'created_by_kind');
      let createdBy: ApiKeyNode['createdBy'] = null;
      if (kind === 'USER' && row['cbu.id']) createdBy = { kind, id: row['cbu.id'] as string, name: row['cbu.email'] as string };
      else if (kind === 'API_KEY' && row['cbk.id'])
        createdBy = { kind, id: row['cbk.id'] as string, name: `${row['cbk.name'] as string} (${row['cbk.prefix'] as string})` };
      return {
        id: get(row, 'id') as string,
        name: get(row, 'name') as string,
        owner: row['ou.id'] ? { email: row['ou.email'] as string } : null,
        createdBy,
        requestCount: Number(row.requestCount ?? 0),
      };
    });
    return { nodes };
  }

  async shortLinks(caller: Caller, first: number): Promise<{ nodes: ShortLinkNode[] }> {
    const { rows } = await this.query(this.links, caller);
    const get = reader(rows);
    const nodes = rows.slice(0, first).map((row): ShortLinkNode => ({
      id: get(row, 'id') as string,
      slug: get(row, 'slug') as string,
      domain: row['d.id'] ? { id: row['d.id'] as string, hostname: row['d.hostname'] as string } : null,
      clicks: Number(get(row, 'click_count')),
    }));
    return { nodes };
  }
}

/**
 * The schema every peer serves: the part of keygate's that the bench's documents select, with the
 * same types and nullability (so the answers are the same bytes). `guard(scopes)` writes the
 * stack's own permission directive where keygate has `@requires` ('' for a rule-tree library).
 */
export function typeDefs(guard: (scopes: string[]) => string, directives = ''): string {
  return `${directives}
  type Query {
    viewer: Viewer! ${guard([])}
    apiKeys(first: Int): ApiKeyConnection! ${guard(['apiKeys:read'])}
    shortLinks(first: Int): ShortLinkConnection! ${guard(['shortLinks:read'])}
  }
  enum PrincipalKind { USER API_KEY SYSTEM }
  type Viewer { kind: PrincipalKind! }
  type User { email: String! }
  type Actor { kind: PrincipalKind! id: ID! name: String! }
  type ApiKeyConnection { nodes: [ApiKey!]! }
  type ApiKey ${guard(['apiKeys:read'])} {
    id: ID!
    name: String!
    owner: User ${guard(['members:read'])}
    createdBy: Actor
    requestCount: Int!
  }
  type ShortLinkConnection { nodes: [ShortLink!]! }
  type ShortLink ${guard(['shortLinks:read'])} {
    id: ID!
    slug: String!
    domain: Domain
    clicks: Int ${guard(['stats:read'])}
  }
  type Domain ${guard(['domains:read'])} {
    id: ID!
    hostname: String!
  }
`;
}

/** The `first` argument, as keygate bounds it (0–100, 20 by default). */
export const pageSize = (first: number | null | undefined) => Math.max(0, Math.min(100, first ?? 20));

export interface PeerSetup {
  pool: pg.Pool;
  keys: KeyCheck;
  lists: Lists;
  close(): Promise<void>;
}

/** The pool (keygate's default size, 10), the key check and the lists, from the runner's environment. */
export function peerSetup(env: NodeJS.ProcessEnv): PeerSetup {
  const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: Number(env.DB_POOL_SIZE ?? 10) });
  const statements = JSON.parse(env.BENCH_STATEMENTS ?? 'null') as PeerStatements | null;
  if (!statements) throw new Error('BENCH_STATEMENTS is not set: the runner passes the statements keygate sent');
  return { pool, keys: new KeyCheck(pool), lists: new Lists(pool, statements), close: () => pool.end() };
}
