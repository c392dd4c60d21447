import { isInterfaceType, isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { getMetadataStorage } from 'type-graphql';

type ParamKind = 'root' | 'context' | 'info';
type Value = (root: unknown, context: unknown, info: unknown) => unknown;
const VALUE: Record<ParamKind, Value> = { root: (r) => r, context: (_r, c) => c, info: (_r, _c, i) => i };

interface Candidate {
  method: (...params: unknown[]) => unknown;
  instance: object;
  values: Value[];
  /** The class @Root() was declared as: a root of another class keeps type-graphql's conversion. */
  rootClass?: Function;
}

/**
 * type-graphql calls each field resolver of a resolver class through a wrapper that, on every
 * call, builds a resolver-data object, finds the class's instance in its container (a linear
 * search) and sorts and maps the parameter list (`getParams`) — once per row and field of a list:
 * on `apiKeys(first: 50)` about a tenth of the bytes a request allocated. A field resolver whose
 * parameters are only `@Root()`, `@Ctx()` and `@Info()`, with no middleware and no roles, is called
 * directly instead, its parameters in declaration order. Anything with arguments (validation,
 * conversion) keeps type-graphql's wrapper, as does a root that is not an instance of its class.
 * Resolver classes take no constructor arguments and hold no state (as type-graphql's own default
 * container assumes), so one instance per class here is the same as its one.
 */
export function callFieldResolversDirectly(schema: GraphQLSchema, resolverClasses: readonly Function[]): number {
  const storage = getMetadataStorage();
  const included = new Set(resolverClasses);
  const instances = new Map<Function, object>();
  let replaced = 0;
  for (const meta of storage.fieldResolvers) {
    if (meta.kind !== 'external' || !included.has(meta.target) || !meta.getObjectType) continue;
    if (meta.middlewares?.length || meta.roles?.length || storage.middlewares.length) continue;
    const objectClass = meta.getObjectType();
    const typeName = (
      storage.objectTypes.find((t) => t.target === objectClass) ?? storage.interfaceTypes.find((t) => t.target === objectClass)
    )?.name;
    const type = typeName ? schema.getType(typeName) : undefined;
    const graphqlField = isObjectType(type) || isInterfaceType(type) ? type.getFields()[meta.schemaName] : undefined;
    if (!graphqlField?.resolve) continue;
    const params = [...(meta.params ?? [])].sort((a, b) => a.index - b.index);
    if (params.some((p) => !(p.kind in VALUE) || ('propertyName' in p && p.propertyName))) continue;
    const root = params.find((p) => p.kind === 'root') as { getType?: () => unknown } | undefined;
    const rootClass = root?.getType?.();
    if (root?.getType && typeof rootClass !== 'function') continue;
    let instance = instances.get(meta.target);
    if (!instance) instances.set(meta.target, (instance = new (meta.target as new () => object)()));
    const method = (instance as Record<string, unknown>)[meta.methodName];
    if (typeof method !== 'function') continue;
    graphqlField.resolve = direct(
      {
        method: method as Candidate['method'],
        instance,
        values: params.map((p) => VALUE[p.kind as ParamKind]),
        rootClass: rootClass as Function,
      },
      graphqlField.resolve,
    );
    replaced++;
  }
  return replaced;
}

/** Every resolver this file made (for tests: which fields skip type-graphql's wrapper). */
export const directResolvers = new WeakSet<Function>();

function direct(c: Candidate, wrapped: GraphQLFieldResolver<unknown, unknown>): GraphQLFieldResolver<unknown, unknown> {
  const resolve = byArity(c, wrapped);
  directResolvers.add(resolve);
  return resolve;
}

/** The direct call, specialised by arity so that no call allocates a parameter array. */
function byArity(c: Candidate, wrapped: GraphQLFieldResolver<unknown, unknown>): GraphQLFieldResolver<unknown, unknown> {
  const { method, instance, rootClass } = c;
  const [a, b, d] = c.values;
  const converts = (root: unknown) => rootClass !== undefined && !(root instanceof rootClass);
  switch (c.values.length) {
    case 1:
      return (root, args, ctx, info) => (converts(root) ? wrapped(root, args, ctx, info) : method.call(instance, a(root, ctx, info)));
    case 2:
      return (root, args, ctx, info) =>
        converts(root) ? wrapped(root, args, ctx, info) : method.call(instance, a(root, ctx, info), b(root, ctx, info));
    case 3:
      return (root, args, ctx, info) =>
        converts(root) ? wrapped(root, args, ctx, info) : method.call(instance, a(root, ctx, info), b(root, ctx, info), d(root, ctx, info));
    default:
      return wrapped;
  }
}
