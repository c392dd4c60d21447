import 'reflect-metadata';
import { getNamedType, isEnumType, isInputObjectType, isObjectType, type GraphQLSchema } from 'graphql';
import { Arg, Ctx, Field, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { Column, Entity } from 'typeorm';
import type { Caller } from '../../src/auth/principal';
import { buildKeygateSchema, type KeygateSchema } from '../../src/graphql/schema';
import { Requires } from '../../src/graphql/requires.directive';
import { defineResource, Role } from '../../src/kernel/access';
import { KEYGATE, MODULES } from '../../src/modules';
import { defineAudit } from '../../src/core/audit-catalog';
import type { Changes } from '../../src/core/changes';
import { composeModules, type ComposedModules } from '../../src/core/compose';
import type { ModuleContext } from '../../src/modules/context';
import { defineModule } from '../../src/core/module';
import { OrgOwnedEntity } from '../../src/core/org-owned.entity';
import { TestApp } from '../support/harness';
import DataLoader from 'dataloader';
import Fastify from 'fastify';
import { In } from 'typeorm';
import { withFolds, type Fold } from '../../src/core/list-relations';
import type { LoaderContext } from '../../src/core/loaders';

/**
 * Issue 10: adding a guarded resource is one folder, one migration and one line in MODULES.
 * A fixture `tags` module, declared only through its manifest, must show up everywhere the
 * resource list is used: scopes, roles, GraphQL enums and types, catalog, entities, resolvers,
 * audit events and the service graph.
 */
declare module '../../src/kernel/permissions' {
  interface ResourceRegistry {
    tags: true;
  }
}

@Entity('tags')
@ObjectType()
@Requires('tags', 'read')
class Tag extends OrgOwnedEntity {
  @Field()
  @Column({ type: 'varchar', length: 50 })
  name: string;
}

const TAG_AUDIT = defineAudit({ targetType: 'TAG', resource: 'tags', actions: { TAG_CREATED: 'tag.created' } });

class TagService {
  constructor(readonly changes: Changes) {}
  list(_caller: Caller): Tag[] {
    return [];
  }
}

type Context = ModuleContext<{ tags: TagService }>;

@Resolver(() => Tag)
class TagResolver {
  @Query(() => [Tag])
  @Requires('tags', 'read')
  tags(@Ctx() ctx: Context) {
    return ctx.services.tags.list(ctx.caller);
  }

  @Mutation(() => Tag)
  @Requires('tags', 'create')
  createTag(@Arg('name') name: string): Tag {
    return Object.assign(new Tag(), { name });
  }
}

/** A list relation over the tags table: each listed row's tag, filed for the `tags` loader. */
const tagFold = (alias: string, idColumn: string): Fold => ({
  select: `${alias}.id AS "${alias}.id", ${alias}.name AS "${alias}.name"`,
  joins: `LEFT JOIN tags ${alias} ON ${alias}.id = ${idColumn}`,
  collect: (row, into) => {
    const id = row[`${alias}.id`] as string | null;
    if (id) into.add('tags', id, Object.assign(new Tag(), { id, name: row[`${alias}.name`] as string }));
  },
});

/** Its per-request loader: tags by id, in the caller's organization. */
const tagLoaders = ({ dataSource, principal }: LoaderContext) => ({
  tags: new DataLoader<string, Tag | null>(async (ids) => {
    const rows = await dataSource.getRepository(Tag).findBy({ id: In([...ids]), orgId: principal.orgId });
    return ids.map((id) => rows.find((r) => r.id === id) ?? null);
  }),
});

const tagsModule = defineModule({
  name: 'tags',
  resources: [
    defineResource({
      name: 'tags',
      description: 'tags',
      actions: ['create', 'read'],
      roles: { MEMBER: ['create', 'read'], VIEWER: ['read'] },
    }),
  ],
  entities: [Tag],
  resolvers: [TagResolver],
  audit: [TAG_AUDIT],
  services: ({ changes }) => ({ tags: new TagService(changes) }),
  operations: { createTag: 'tags:create' },
  loaders: tagLoaders,
  // Its HTTP route beside GraphQL, using its own service.
  routes: (server, { services }) =>
    void server.get('/tags/count', async () => ({ count: (services.tags as TagService).list({} as Caller).length })),
});

let composed: ComposedModules;
let built: KeygateSchema;
let schema: GraphQLSchema;
beforeAll(async () => {
  composed = composeModules([...MODULES, tagsModule]);
  built = await buildKeygateSchema({ resolvers: composed.resolvers, access: composed.access, operations: composed.operations });
  schema = built.schema;
});

describe('a module registers everything from its manifest', () => {
  it('its declared scopes exist, and only those', () => {
    const scopes = composed.access.ALL_SCOPES.map((s) => s.scope);
    expect(scopes.filter((s) => s.startsWith('tags:'))).toEqual(['tags:create', 'tags:read']);
    expect(composed.access.declares('tags', 'delete')).toBe(false);
  });

  it('the role table takes its role defaults: owners and admins everything, MEMBER create+read, VIEWER read', () => {
    const { roles, scopesOf } = composed.access;
    for (const role of [Role.OWNER, Role.ADMIN])
      expect(scopesOf(roles[role])).toEqual(expect.arrayContaining(['tags:create', 'tags:read']));
    expect(scopesOf(roles[Role.MEMBER]).filter((s) => s.startsWith('tags:'))).toEqual(['tags:create', 'tags:read']);
    expect(scopesOf(roles[Role.VIEWER]).filter((s) => s.startsWith('tags:'))).toEqual(['tags:read']);
  });

  it('the Resource enum, Permissions and PermissionsInput gain it, after the existing resources', () => {
    const resource = schema.getType('Resource');
    expect(isEnumType(resource) && resource.getValues().map((v) => v.name)).toEqual([
      ...MODULES.flatMap((m) => m.resources ?? []).map((r) => r.name),
      'tags',
    ]);
    const permissions = schema.getType('Permissions');
    expect(isObjectType(permissions) && getNamedType(permissions.getFields().tags.type).name).toBe('Action');
    const input = schema.getType('PermissionsInput');
    expect(isInputObjectType(input) && Object.keys(input.getFields())).toContain('tags');
  });

  it('its resolvers and entities are registered; its fields are guarded and in the catalog', () => {
    expect(composed.resolvers).toContain(TagResolver);
    expect(composed.entities).toContain(Tag);
    expect(schema.getQueryType()!.getFields().tags).toBeDefined();
    expect(built.requirements.of('Query', 'tags')).toBe(composed.access.bit('tags', 'read'));
    expect(built.requirements.of('Tag', 'name')).toBe(composed.access.bit('tags', 'read'));
    const entry = (scope: string) => built.catalog.find((c) => c.scope === scope)!;
    expect([...entry('tags:read').fields].sort()).toEqual(['Query.tags', 'Tag']);
    expect(entry('tags:create')).toMatchObject({
      resource: 'tags',
      action: 'create',
      description: 'Create tags.',
      fields: ['Mutation.createTag'],
    });
  });

  it('its audit actions become webhook events that need read on it', () => {
    expect(composed.events.eventTypes).toContain('tag.created');
    expect(composed.events.resourceOf('tag.created')).toBe('tags');
    expect(composed.events.readNeededFor(['tag.created'])).toBe(composed.access.bit('tags', 'read'));
    expect(composed.events.definitionOf('TAG_CREATED')).toEqual({ definition: TAG_AUDIT, event: 'tag.created' });
  });

  it('its services join the service graph, built with the shared change helper', async () => {
    const t = await TestApp.create();
    try {
      const services = await composed.createServices({
        dataSource: t.dataSource,
        config: t.config,
        keyFormat: t.app.keyFormat,
        invalidator: { within: async () => undefined } as never,
        reportDrops: () => () => undefined,
        overrides: {},
      });
      expect(services.tags).toBeInstanceOf(TagService);
      expect((services.tags as TagService).changes).toBe(services.changes);
      expect(Object.keys(services)).toEqual(
        expect.arrayContaining(['apiKeys', 'members', 'webhooks', 'tags', 'audit', 'changes', 'eventLog']),
      );
    } finally {
      await t.close();
    }
  });
});

describe('a module brings its loaders, list relations and HTTP routes (issue 18)', () => {
  it('its loader joins every request’s loaders, and a list page’s related rows prime it: no query', async () => {
    const t = await TestApp.create();
    try {
      const loaders = composed.createLoaders({ dataSource: t.dataSource, principal: t.owner.caller.principal, access: composed.access });
      const { select, joins, map, related } = withFolds('1 AS one', [tagFold('tg', 'null::uuid')], (row) => row);
      expect([select, joins]).toEqual(['1 AS one, tg.id AS "tg.id", tg.name AS "tg.name"', 'LEFT JOIN tags tg ON tg.id = null::uuid']);
      map({ one: 1, 'tg.id': '00000000-0000-4000-8000-0000000000aa', 'tg.name': 'primed' });
      loaders.prime(related);
      const { result, count } = await t.countQueries(() =>
        (loaders.tags as DataLoader<string, Tag | null>).load('00000000-0000-4000-8000-0000000000aa'),
      );
      expect(result).toMatchObject({ name: 'primed' });
      expect(count).toBe(0);
      // Every other feature's loaders are there too, by name.
      expect(Object.keys(loaders)).toEqual(
        expect.arrayContaining(['users', 'apiKeys', 'domains', 'linkCounts', 'linkStats', 'tags', 'prime']),
      );
    } finally {
      await t.close();
    }
  });

  it('its routes are registered with the others', async () => {
    const server = Fastify();
    const services = { tags: new TagService({} as Changes) };
    composed.registerRoutes(server, { dataSource: {} as never, config: {} as never, services: { ...services, clicks: {} } });
    const res = await server.inject({ method: 'GET', url: '/tags/count' });
    expect([res.statusCode, res.json()]).toEqual([200, { count: 0 }]);
    await server.close();
  });
});

describe('each mutation needs the one scope its feature declares (issue 18)', () => {
  @Resolver()
  class MisdeclaredResolver {
    @Mutation(() => Tag)
    @Requires('tags', 'read')
    renameTag(): Tag {
      return new Tag();
    }

    @Mutation(() => Tag)
    @Requires('tags', 'create')
    undeclaredTag(): Tag {
      return new Tag();
    }
  }

  it('a @requires that differs from the declared scope, a mutation with none, and a declaration with no mutation stop the build', async () => {
    const operations = { ...composed.operations, renameTag: 'tags:create', ghostTag: 'tags:create' } as const;
    await expect(
      buildKeygateSchema({ resolvers: [...composed.resolvers, MisdeclaredResolver], access: composed.access, operations }),
    ).rejects.toThrow(
      [
        "Each mutation needs the one scope its feature's rules declare:",
        '  renameTag: @requires is tags:read, its feature declares tags:create',
        "  undeclaredTag: no scope declared in its feature's operations",
        '  ghostTag: declared, but no mutation has that name',
      ].join('\n'),
    );
  });

  it('keygate’s own mutations each declare theirs, and the services use the same constants', () => {
    expect(Object.keys(KEYGATE.operations).sort()).toEqual(
      Object.keys(schema.getMutationType()!.getFields())
        .filter((n) => n !== 'createTag')
        .sort(),
    );
  });
});

describe('the module list is checked when it is composed', () => {
  it('a module that needs an earlier one’s service, listed before it, fails at start naming both', async () => {
    const membersFirst = [...MODULES].sort((a, b) => (a.name === 'members' ? -1 : b.name === 'members' ? 1 : 0));
    const t = await TestApp.create();
    try {
      const infrastructure = {
        dataSource: t.dataSource,
        config: t.config,
        keyFormat: t.app.keyFormat,
        invalidator: { within: async () => undefined } as never,
        reportDrops: () => () => undefined,
        overrides: {},
      };
      await expect(composeModules(membersFirst).createServices(infrastructure)).rejects.toThrow(
        'Module members needs the apiKeys service: list its module earlier in MODULES',
      );
    } finally {
      await t.close();
    }
  });

  it('two modules with one name, or one audit action declared twice, are refused', () => {
    expect(() => composeModules([...MODULES, { name: 'members' }])).toThrow('Module names must be unique');
    const twice = defineModule({
      name: 'twice',
      audit: [defineAudit({ targetType: 'X', resource: 'tags', actions: { TAG_CREATED: 'x.created' } })],
    });
    expect(() => composeModules([...MODULES, tagsModule, twice])).toThrow('Audit action TAG_CREATED is declared twice');
  });
});
