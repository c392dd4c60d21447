import 'reflect-metadata';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { graphql, graphqlSync } from 'graphql';
import { Ctx, Field, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { ALL_PERMISSIONS, bit } from '../support/access';
import type { GraphQLContext } from '../../src/graphql/context';
import { UnguardedFieldError } from '../../src/graphql/authorization/schema-requirements';
import { Public, Requires } from '../../src/graphql/requires.directive';
import { buildSchema } from '../../src/app';
import { buildKeygateSchema } from '../../src/graphql/schema';
import { KEYGATE } from '../../src/modules';

// Literal documents: they run against the fixture schema built in this file, which codegen does not know.

@ObjectType()
class Secret {
  @Field() plain: string;

  @Field(() => String, { nullable: true })
  @Requires('stats', 'read')
  guarded: string;
}

@ObjectType()
@Requires('webhooks', 'read')
class GuardedType {
  @Field() value: string;
}

@Resolver()
class ForgotTheDecision {
  @Query(() => String)
  oops() {
    return 'should never be served';
  }

  @Mutation(() => String)
  alsoOops() {
    return 'nor this';
  }
}

@Resolver()
class Decided {
  @Query(() => Secret)
  @Requires('shortLinks', 'read')
  secret(): Secret {
    return { plain: 'p', guarded: 'g' };
  }

  @Query(() => GuardedType)
  @Public()
  typeGuarded(): GuardedType {
    return { value: 'v' };
  }

  @Query(() => String)
  @Public()
  hello(@Ctx() ctx: GraphQLContext) {
    return `hello ${ctx.principal.kind}`;
  }
}

const context = (permissions: bigint) => ({ principal: { kind: 'API_KEY', permissions } }) as unknown as GraphQLContext;

describe('default deny', () => {
  it('refuses to build a schema with a root field that has no permission decision, naming every one', async () => {
    const build = buildKeygateSchema({ resolvers: [...KEYGATE.resolvers, ForgotTheDecision], access: KEYGATE.access });
    await expect(build).rejects.toBeInstanceOf(UnguardedFieldError);
    await expect(build).rejects.toMatchObject({ fields: ['Query.oops', 'Mutation.alsoOops'] });
  });

  it('the real schema builds, and every root field is either guarded or explicitly public', async () => {
    const { schema } = await buildSchema();
    const roots = [schema.getQueryType()!, schema.getMutationType()!];
    const sdl = printSchemaWithDirectives(schema);
    const publicFields: string[] = [];
    for (const root of roots) {
      for (const field of Object.values(root.getFields())) {
        if (!field.astNode?.directives?.some((d) => d.name.value === 'requires')) publicFields.push(`${root.name}.${field.name}`);
      }
    }
    expect(publicFields.sort()).toEqual(['Query.permissionCatalog', 'Query.viewer']);
    expect(sdl).toContain('directive @requires(resource: Resource!, action: Action!) repeatable on FIELD_DEFINITION | OBJECT');
    expect(sdl).toContain('apiKey(id: ID!): ApiKey @requires(resource: apiKeys, action: read)');
    expect(sdl).toContain('): ApiKeyConnection! @requires(resource: apiKeys, action: read)');
  });
});

describe('the @requires transform', () => {
  let schema: Awaited<ReturnType<typeof buildKeygateSchema>>['schema'];
  beforeAll(async () => {
    ({ schema } = await buildKeygateSchema({ resolvers: [...KEYGATE.resolvers, Decided], access: KEYGATE.access }));
  });

  it('guards a field: FORBIDDEN with the required scope, data null', async () => {
    const res = await graphql({ schema, source: '{ secret { plain } }', contextValue: context(0n) });
    expect(res.data).toBeNull();
    expect(res.errors?.[0].extensions).toEqual({ code: 'FORBIDDEN', required: ['shortLinks:read'] });
  });

  it('a nested guarded field fails alone while its siblings resolve (the partial case)', async () => {
    const res = await graphql({ schema, source: '{ secret { plain guarded } }', contextValue: context(bit('shortLinks', 'read')) });
    expect(res.data).toEqual({ secret: { plain: 'p', guarded: null } });
    expect(res.errors?.[0].extensions).toEqual({ code: 'FORBIDDEN', required: ['stats:read'] });
    const ok = await graphql({
      schema,
      source: '{ secret { plain guarded } }',
      contextValue: context(bit('shortLinks', 'read') | bit('stats', 'read')),
    });
    expect(ok).toEqual({ data: { secret: { plain: 'p', guarded: 'g' } } });
  });

  it('a directive on an OBJECT guards every field of that type wherever it is reached', async () => {
    const denied = await graphql({
      schema,
      source: '{ typeGuarded { value } }',
      contextValue: context(ALL_PERMISSIONS & ~bit('webhooks', 'read')),
    });
    expect(denied.errors?.[0].extensions).toEqual({ code: 'FORBIDDEN', required: ['webhooks:read'] });
    const allowed = await graphql({ schema, source: '{ typeGuarded { value } }', contextValue: context(bit('webhooks', 'read')) });
    expect(allowed).toEqual({ data: { typeGuarded: { value: 'v' } } });
  });

  it('public fields run for a principal with no permissions at all', async () => {
    const res = await graphql({ schema, source: '{ hello }', contextValue: context(0n) });
    expect(res).toEqual({ data: { hello: 'hello API_KEY' } });
  });

  it('the check is synchronous: a guarded field with a synchronous resolver resolves without a promise', async () => {
    const res = graphqlSync({ schema, source: '{ secret { plain guarded } }', contextValue: context(ALL_PERMISSIONS) });
    expect(res).toEqual({ data: { secret: { plain: 'p', guarded: 'g' } } });
  });
});
