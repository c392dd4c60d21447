import { randomUUID } from 'node:crypto';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { ALL_PERMISSIONS, ALL_SCOPES } from '../support/access';
import { REQUIRES } from '../../src/graphql/requires.directive';
import { buildSchema } from '../../src/app';
import { expectForbidden } from '../support/expect';
import { TestApp } from '../support/harness';

// Literal documents: every operation is generated from a walk of the schema, so new fields are covered without a .graphql file.

/**
 * Walks the schema and, for every field guarded by @requires (directly or through its type),
 * sends an operation as a key that holds every permission except that one scope, and expects
 * FORBIDDEN naming it. New resolvers are covered without anyone writing a test for them.
 */

interface Case {
  coordinate: string;
  scope: string;
  operation: string;
}

/** A syntactically valid literal for any input type, enough to get past validation. */
function literal(type: GraphQLInputType): string {
  if (isNonNullType(type)) return literal(type.ofType);
  if (isListType(type)) return `[${literal(type.ofType)}]`;
  if (isEnumType(type)) return type.getValues()[0].name;
  if (isInputObjectType(type)) {
    const required = Object.values(type.getFields()).filter((f) => isNonNullType(f.type) && f.defaultValue === undefined);
    return `{ ${required.map((f) => `${f.name}: ${literal(f.type)}`).join(', ')} }`;
  }
  switch (type.name) {
    case 'ID':
      return `"${randomUUID()}"`;
    case 'Int':
      return '1';
    case 'Float':
      return '1.5';
    case 'Boolean':
      return 'true';
    case 'DateTime':
      return `"${new Date(Date.now() + 86_400_000).toISOString()}"`;
    case 'Date':
      return '"2030-01-01"';
    default:
      return '"x"';
  }
}

function args(list: readonly GraphQLArgument[]): string {
  const required = list.filter((a) => isNonNullType(a.type) && a.defaultValue === undefined);
  return required.length ? `(${required.map((a) => `${a.name}: ${literal(a.type)}`).join(', ')})` : '';
}

function selection(field: GraphQLField<unknown, unknown>): string {
  return isLeafType(getNamedType(field.type)) ? '' : ' { __typename }';
}

function scopesOf(_schema: GraphQLSchema, node: { astNode?: { directives?: readonly any[] } | null }): string[] {
  return (node.astNode?.directives ?? [])
    .filter((d) => d.name.value === REQUIRES)
    .map((d) => {
      const arg = (n: string) => d.arguments.find((a: any) => a.name.value === n).value.value;
      return `${arg('resource')}:${arg('action')}`;
    });
}

function rootCases(schema: GraphQLSchema): Case[] {
  const cases: Case[] = [];
  for (const [root, keyword] of [
    [schema.getQueryType(), 'query'],
    [schema.getMutationType(), 'mutation'],
  ] as [GraphQLObjectType | null, string][]) {
    if (!root) continue;
    for (const field of Object.values(root.getFields())) {
      for (const scope of scopesOf(schema, field)) {
        cases.push({
          coordinate: `${root.name}.${field.name}`,
          scope,
          operation: `${keyword} { ${field.name}${args(field.args)}${selection(field)} }`,
        });
      }
    }
  }
  return cases;
}

interface NestedGuard {
  coordinate: string;
  scope: string;
  typeName: string;
  fieldName?: string;
}

/** Guarded coordinates below the root: type-level directives and nested field-level ones. */
function nestedGuards(schema: GraphQLSchema): NestedGuard[] {
  const roots = new Set([schema.getQueryType()?.name, schema.getMutationType()?.name]);
  const found: NestedGuard[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || roots.has(type.name) || type.name.startsWith('__')) continue;
    for (const scope of scopesOf(schema, type)) found.push({ coordinate: type.name, scope, typeName: type.name });
    for (const field of Object.values(type.getFields())) {
      for (const scope of scopesOf(schema, field))
        found.push({ coordinate: `${type.name}.${field.name}`, scope, typeName: type.name, fieldName: field.name });
    }
  }
  return found;
}

/**
 * The shortest operation from a root to `guard` along fields whose own requirements (field and
 * parent type) do not include the guard's scope: a query if one reaches it (along fields that take
 * no required arguments), else a mutation whose payload does (the mutation's own arguments get
 * literals; it is refused before it runs, so they need not name anything real). Null when every
 * way there already needs the scope, so the root cases prove it.
 */
function pathTo(schema: GraphQLSchema, guard: NestedGuard): { kind: 'query' | 'mutation'; operation: string } | null {
  const requiresArgs = (field: GraphQLField<unknown, unknown>) =>
    field.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined);
  const needsScope = (parent: GraphQLObjectType, field: GraphQLField<unknown, unknown>) =>
    [...scopesOf(schema, parent), ...scopesOf(schema, field)].includes(guard.scope);
  for (const [root, kind] of [
    [schema.getQueryType(), 'query'],
    [schema.getMutationType(), 'mutation'],
  ] as const) {
    if (!root) continue;
    const queue: { type: GraphQLObjectType; open: string[] }[] = [{ type: root, open: [] }];
    const seen = new Set<string>([root.name]);
    while (queue.length) {
      const { type, open } = queue.shift()!;
      for (const field of Object.values(type.getFields())) {
        // Only a mutation's own arguments are filled in; below the root, fields with required arguments are not walked.
        if (needsScope(type, field) || (requiresArgs(field) && !(kind === 'mutation' && type === root))) continue;
        const target = getNamedType(field.type);
        if (!isObjectType(target) || seen.has(target.name)) continue;
        const path = [...open, type === root ? `${field.name}${args(field.args)}` : field.name];
        if (target.name === guard.typeName) {
          const leaf = guard.fieldName
            ? target.getFields()[guard.fieldName]
            : Object.values(target.getFields()).find((f) => isLeafType(getNamedType(f.type)) && f.args.length === 0)!;
          return { kind, operation: `${kind} { ${path.join(' { ')} { ${leaf.name}${selection(leaf)} }${' }'.repeat(path.length - 1)} }` };
        }
        seen.add(target.name);
        queue.push({ type: target, open: path });
      }
    }
  }
  return null;
}

let t: TestApp;
let schema: GraphQLSchema;
beforeAll(async () => {
  t = await TestApp.create();
  ({ schema } = await buildSchema());
  // One of everything, so every nested path has a row to resolve.
  const domain = await t.app.services.domains.create(t.owner.caller, 'links.acme.test');
  await t.dataSource.query('UPDATE domains SET verified_at = now() WHERE id = $1', [domain.id]);
  const link = await t.app.services.shortLinks.create(t.owner.caller, { url: 'https://example.com/', domainId: domain.id });
  // A click in the stats' default range, so `stats { topLinks { link } }` has a link to refuse.
  await t.dataSource.query(
    "INSERT INTO link_clicks (link_id, org_id, clicked_at, user_agent_family) VALUES ($1, $2, now() - interval '1 minute', 'Other')",
    [link.id, t.org.id],
  );
});
afterAll(() => t.close());

/** Row counts of everything a mutation could change, leaving out the keys the tests themselves create. */
async function changesSoFar(): Promise<Record<string, number>> {
  const [row] = await t.dataSource.query(`
    SELECT (SELECT count(*)::int FROM audit_events WHERE action <> 'API_KEY_CREATED') AS audit,
           (SELECT count(*)::int FROM webhook_events WHERE type <> 'apiKey.created') AS outbox,
           (SELECT count(*)::int FROM short_links) AS links,
           (SELECT count(*)::int FROM domains) AS domains,
           (SELECT count(*)::int FROM webhooks) AS webhooks,
           (SELECT count(*)::int FROM webhook_deliveries) AS deliveries,
           (SELECT count(*)::int FROM memberships) AS memberships,
           (SELECT count(*)::int FROM users) AS users`);
  return row;
}

describe('generated: every guarded field refuses a principal lacking exactly its scope', () => {
  it('finds guarded root fields for every API-key and member operation', () => {
    const coordinates = rootCases(schema).map((c) => c.coordinate);
    for (const expected of [
      'Query.apiKeys',
      'Query.apiKey',
      'Query.auditLog',
      'Query.members',
      'Mutation.createApiKey',
      'Mutation.rotateApiKey',
      'Mutation.updateApiKey',
      'Mutation.setApiKeyStatus',
      'Mutation.revokeApiKey',
      'Mutation.deleteApiKey',
      'Mutation.addMember',
      'Mutation.updateMemberRole',
      'Mutation.removeMember',
    ]) {
      expect(coordinates).toContain(expected);
    }
  });

  it('nested and type-level guards: FORBIDDEN naming exactly the scope; a query keeps its siblings’ data, a mutation is refused whole', async () => {
    const guards = nestedGuards(schema);
    expect(guards.map((g) => `${g.coordinate}=${g.scope}`)).toEqual(
      expect.arrayContaining([
        'ShortLink.clicks=stats:read',
        'ShortLink.stats=stats:read',
        'Domain=domains:read',
        'ApiKey=apiKeys:read',
        'ApiKey.owner=members:read',
        'Member=members:read',
        'RemovedMember.deletedApiKeyIds=apiKeys:read',
      ]),
    );
    const before = await changesSoFar();
    const reached: string[] = [];
    for (const guard of guards) {
      const path = pathTo(schema, guard);
      if (!path) continue; // only reachable through fields that need the same scope: the root cases cover it
      const { kind, operation } = path;
      const mask = ALL_PERMISSIONS & ~ALL_SCOPES.find((s) => s.scope === guard.scope)!.mask;
      const res = await t.gql(operation, {}, { key: (await t.createKey(mask, { name: `nested ${guard.coordinate}` })).secret });
      const seen = {
        operation,
        status: res.status,
        hasData: 'data' in res.body && res.body.data !== null,
        errors: res.body.errors?.map((e) => e.extensions),
      };
      if (kind === 'query') {
        // Partial data: the guarded field is null, each denial names exactly the missing scope, the rest resolves.
        expect(seen).toEqual({
          operation,
          status: 200,
          hasData: true,
          errors: expect.arrayContaining([{ code: 'FORBIDDEN', required: [guard.scope] }]),
        });
        expect(new Set(seen.errors!.map((e) => JSON.stringify(e)))).toEqual(
          new Set([JSON.stringify({ code: 'FORBIDDEN', required: [guard.scope] })]),
        );
      } else {
        // A mutation whose payload reaches the guard is refused before anything runs: 403, no data at all.
        expect({ ...seen, hasDataKey: 'data' in res.body }).toEqual({
          operation,
          status: 403,
          hasData: false,
          hasDataKey: false,
          errors: [{ code: 'FORBIDDEN', required: [guard.scope] }],
        });
      }
      reached.push(guard.coordinate);
    }
    // The nested case of the product: a link is visible without stats:read, its clicks and stats are not.
    // Type-level guards hold wherever the type is reached: a key through the viewer, a member or a
    // delivery through a mutation's payload.
    expect(reached).toEqual(
      expect.arrayContaining([
        'ShortLink.clicks',
        'ShortLink.stats',
        'Domain',
        'ApiKey',
        'ApiKey.owner',
        'Member',
        'RemovedMember.deletedApiKeyIds',
        'ShortLink',
        'Webhook',
        'WebhookDelivery',
      ]),
    );
    // Nothing a refused mutation was asked to do happened (the keys this test made aside).
    expect(await changesSoFar()).toEqual(before);
  });

  it('FORBIDDEN (HTTP 403, required = the scope) for each root field and each of its scopes', async () => {
    const cases = rootCases(schema);
    const keys = new Map<string, string>();
    for (const { scope } of ALL_SCOPES) {
      keys.set(
        scope,
        (await t.createKey(ALL_PERMISSIONS & ~ALL_SCOPES.find((s) => s.scope === scope)!.mask, { name: `all but ${scope}` })).secret,
      );
    }
    for (const c of cases) {
      const res = await t.gql(c.operation, {}, { key: keys.get(c.scope)! });
      try {
        expectForbidden(res, c.scope);
      } catch (error) {
        throw new Error(`${c.coordinate} (${c.scope}) with "${c.operation}": ${JSON.stringify(res.body)}\n${String(error)}`, {
          cause: error,
        });
      }
    }
    // Nothing a refused mutation was asked to do happened.
    const [{ count }] = await t.dataSource.query(
      "SELECT count(*)::int AS count FROM audit_events WHERE action NOT IN ('API_KEY_CREATED', 'ORGANIZATION_CREATED', 'DOMAIN_CREATED', 'SHORT_LINK_CREATED')",
    );
    expect(count).toBe(0);
    expect(cases.length).toBeGreaterThanOrEqual(13);
  });

  it('the same operations succeed past the guard for a principal holding the scope (the check is not vacuous)', async () => {
    for (const c of rootCases(schema)) {
      const res = await t.gql(c.operation, {}, { key: t.rootKey });
      const codes = (res.body.errors ?? []).map((e) => e.extensions?.code);
      expect({ coordinate: c.coordinate, forbidden: codes.includes('FORBIDDEN') }).toEqual({ coordinate: c.coordinate, forbidden: false });
    }
  });
});
