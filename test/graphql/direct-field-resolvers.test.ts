import { isObjectType, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import { directResolvers } from '../../src/graphql/direct-field-resolvers';
import { buildUnguardedSchema } from '../../src/graphql/schema';
import { ApiKey } from '../../src/modules/api-keys/api-key.entity';
import { KEYGATE } from '../../src/modules';

/**
 * graphql/direct-field-resolvers.ts: a field resolver with only @Root/@Ctx/@Info parameters is
 * called directly, without type-graphql's per-call wrapper (which sorts its parameter list on
 * every call); one with arguments, or given a root of another class, keeps the wrapper.
 */
let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await buildUnguardedSchema({ resolvers: KEYGATE.resolvers, access: KEYGATE.access });
});

function resolverOf(typeName: string, fieldName: string) {
  const type = schema.getType(typeName);
  if (!isObjectType(type)) throw new Error(`${typeName} is not an object type`);
  return type.getFields()[fieldName].resolve!;
}

const info = {} as GraphQLResolveInfo;

describe('field resolvers called directly', () => {
  it('ApiKey.requestCount: the method with (root, context), no wrapper', async () => {
    const key = Object.assign(new ApiKey(), { id: 'k1', requestCount: 7 });
    const loaded: unknown[] = [];
    const context = { loaders: { requestCounts: { get: (id: string) => (loaded.push(id), Promise.resolve(41)) } } };
    expect(directResolvers.has(resolverOf('ApiKey', 'requestCount'))).toBe(true);
    const value = resolverOf('ApiKey', 'requestCount')(key, {}, context, info);
    expect(loaded).toEqual(['k1']);
    await expect(value).resolves.toBe(41);
  });

  it('a root that is not an instance of the declared class goes through type-graphql, which converts it', async () => {
    const plain = { id: 'k2', createdAt: new Date() };
    const context = { loaders: { requestCounts: { get: (id: string) => Promise.resolve(id === 'k2' ? 3 : -1) } } };
    // type-graphql's conversion: a new ApiKey with the plain root's fields, then the method.
    const value = resolverOf('ApiKey', 'requestCount')(plain, {}, context, info);
    await expect(value).resolves.toBe(3);
  });

  it('a field resolver with an argument (ApiKey.usage(days)) keeps the wrapper', async () => {
    const key = Object.assign(new ApiKey(), { id: 'k1' });
    const context = { loaders: { usage: (days: number) => ({ load: () => Promise.resolve(days === 2 ? [] : null) }) } };
    expect(directResolvers.has(resolverOf('ApiKey', 'usage'))).toBe(false);
    const value = resolverOf('ApiKey', 'usage')(key, { days: 2 }, context, info);
    expect(((await value) as { requests: number }[]).map((d) => d.requests)).toEqual([0, 0]);
  });
});
