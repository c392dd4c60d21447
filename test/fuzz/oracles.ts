import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import {
  getNamedType,
  isObjectType,
  Kind,
  parse,
  type ConstDirectiveNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import type { DataSource } from 'typeorm';

/**
 * The fuzzer's oracles: each can fail, and none asks keygate's own code for the answer. The
 * permission oracle reads `@requires` from the emitted SDL (schema/schema.graphql), not from the
 * server's requirement tables; the side-effect oracles watch the file system and a loopback port.
 */

/** The scopes a directive list requires (`@requires(resource: r, action: a)` → `r:a`). */
function requiresOf(directives: readonly ConstDirectiveNode[] | undefined): string[] {
  return (directives ?? [])
    .filter((d) => d.name.value === 'requires')
    .map((d) => {
      const arg = (n: string) => {
        const value = d.arguments?.find((a) => a.name.value === n)?.value;
        return value && value.kind === Kind.ENUM ? value.value : '?';
      };
      return `${arg('resource')}:${arg('action')}`;
    });
}

export interface Violation {
  path: string;
  missing: string[];
}

/**
 * Every non-null field in `data` whose scopes (its own @requires and its type's) the caller does
 * not hold. An empty list means the data released is within what the permission model allows.
 */
export function releasedBeyond(schema: GraphQLSchema, query: string, data: unknown, held: ReadonlySet<string>): Violation[] {
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch {
    return [];
  }
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (!operation || operation.kind !== Kind.OPERATION_DEFINITION || !data || typeof data !== 'object') return [];
  const root = operation.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType();
  const found: Violation[] = [];

  const walk = (set: SelectionSetNode, type: GraphQLObjectType, value: Record<string, unknown>, path: string) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet, type, value, path);
      else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (fragment) walk(fragment.selectionSet, type, value, path);
      } else {
        const key = selection.alias?.value ?? selection.name.value;
        const field = type.getFields()[selection.name.value];
        // Own properties only: a response key `__proto__` that was skipped must not read Object.prototype.
        const released = Object.hasOwn(value, key) ? value[key] : undefined;
        if (!field || released === null || released === undefined) continue;
        const missing = [...requiresOf(field.astNode?.directives), ...requiresOf(type.astNode?.directives)].filter((s) => !held.has(s));
        if (missing.length) found.push({ path: `${path}${key}`, missing });
        const named = getNamedType(field.type);
        if (!selection.selectionSet || !isObjectType(named)) continue;
        const items = ([] as unknown[]).concat(released).flat(3);
        for (const item of items)
          if (item && typeof item === 'object') walk(selection.selectionSet, named, item as Record<string, unknown>, `${path}${key}.`);
      }
    }
  };
  if (root) walk(operation.selectionSet, root, data as Record<string, unknown>, '');
  return found;
}

/** Every string anywhere in a JSON value. */
export function stringsIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsIn(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) stringsIn(v, out);
  return out;
}

/**
 * A digest of every row of keygate's tables (the queue's tables and the migration log aside):
 * equal before and after a request means the request changed nothing. Usage counters are not
 * flushed during a campaign, so reads leave it unchanged.
 */
export async function databaseDigest(dataSource: DataSource): Promise<string> {
  const tables: { name: string }[] = await dataSource.query(
    `SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migrations' ORDER BY tablename`,
  );
  const parts = tables.map((t) => `(SELECT coalesce(md5(string_agg(md5(x::text), '' ORDER BY md5(x::text))), '') FROM ${t.name} x)`);
  const [row] = await dataSource.query(`SELECT md5(${parts.join(' || ')}) AS digest`);
  return row.digest as string;
}

/**
 * Evidence that client text ran as code: the marker file the hostile strings would write, and
 * connections to a loopback port that only those strings name.
 */
export class SideEffects {
  connections = 0;
  private constructor(
    readonly markerPath: string,
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async watch(markerPath: string): Promise<SideEffects> {
    let self: SideEffects | undefined;
    const server = createServer((socket) => {
      if (self) self.connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('canary has no port');
    self = new SideEffects(markerPath, server, address.port);
    return self;
  }

  /** What has happened so far, as a message; null when nothing has. */
  seen(): string | null {
    if (existsSync(this.markerPath)) return `the marker file ${this.markerPath} was written`;
    if (this.connections) return `${this.connections} connection(s) reached the canary port ${this.port}`;
    return null;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const ISO_INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/** JSON equality where instants read from the clock at request time may differ by `toleranceMs`. */
function sameJson(x: unknown, y: unknown, toleranceMs: number): boolean {
  if (typeof x === 'string' && typeof y === 'string') {
    return x === y || (ISO_INSTANT.test(x) && ISO_INSTANT.test(y) && Math.abs(Date.parse(x) - Date.parse(y)) <= toleranceMs);
  }
  if (Array.isArray(x) || Array.isArray(y)) {
    return Array.isArray(x) && Array.isArray(y) && x.length === y.length && x.every((v, i) => sameJson(v, y[i], toleranceMs));
  }
  if (x && y && typeof x === 'object' && typeof y === 'object') {
    const keys = Object.keys(x);
    const other = Object.keys(y);
    return keys.length === other.length && keys.every((k, i) => other[i] === k && sameJson((x as never)[k], (y as never)[k], toleranceMs));
  }
  return x === y;
}

interface Body {
  data?: unknown;
  errors?: { path?: (string | number)[] }[];
}

/** Whether some proper prefix of `path` is null in `data`: the error sat under a parent that was nulled. */
function underNulledParent(data: unknown, path: (string | number)[] | undefined): boolean {
  let at: unknown = data;
  for (const key of path?.slice(0, -1) ?? []) {
    if (at === null) return true;
    if (!at || typeof at !== 'object') return false;
    at = (at as Record<string | number, unknown>)[key];
  }
  return at === null;
}

/**
 * Whether graphql-js's answer and the compiled one are the same: byte-identical text; or the same
 * JSON where they differ only in instants read from the clock at request time (a stats window's
 * default `from`), by at most `toleranceMs`; or — graphql-jit's one documented difference — the
 * same data and every graphql-js error, the compiled answer adding only errors of other fields
 * under a parent that an error nulled (graphql-jit reports them all, graphql-js the first).
 */
export function sameAnswer(interpreted: string, compiled: string, toleranceMs = 5_000): boolean {
  if (interpreted === compiled) return true;
  let plain: Body;
  let jit: Body;
  try {
    [plain, jit] = [JSON.parse(interpreted), JSON.parse(compiled)];
  } catch {
    return false;
  }
  if (sameJson(plain, jit, toleranceMs)) return true;
  if (!sameJson(plain.data, jit.data, toleranceMs)) return false;
  const jitErrors = [...(jit.errors ?? [])];
  for (const error of plain.errors ?? []) {
    const at = jitErrors.findIndex((e) => sameJson(e, error, toleranceMs));
    if (at < 0) return false;
    jitErrors.splice(at, 1);
  }
  return jitErrors.every((e) => underNulledParent(jit.data, e.path));
}
