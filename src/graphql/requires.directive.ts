import { getDirective, MapperKind, mapSchema } from '@graphql-tools/utils';
import {
  defaultFieldResolver,
  DirectiveLocation,
  GraphQLDirective,
  GraphQLEnumType,
  GraphQLNonNull,
  GraphQLSchema,
  isObjectType,
  type GraphQLFieldConfig,
} from 'graphql';
import { Directive, Extensions } from 'type-graphql';
import {
  ALL_SCOPES,
  bit,
  isAction,
  isResource,
  missingScopes,
  type Action,
  type PermissionMask,
  type Resource,
  type Scope,
} from '../auth/permissions';
import { ForbiddenError } from '../errors';
import type { GraphQLContext } from './context';

/**
 * `@requires(resource, action)`: the permission a field (or every field of a type) needs.
 *
 * The decorator writes the directive into the SDL, so clients and GraphiQL see what each field
 * needs. `applyRequiresDirective` then wraps the resolvers once, at start-up: only guarded
 * fields get a wrapper, and the wrapper is synchronous (one AND on a bitmask), because an async
 * wrapper on every field is what makes generic permission layers slow on large lists.
 */
export const REQUIRES = 'requires';

export function Requires(resource: Resource, action: Action) {
  return Directive(`@${REQUIRES}(resource: ${resource}, action: ${action})`);
}

/**
 * Marks a root field any authenticated principal may call. Reviewed use only: every Query and
 * Mutation field must carry either this or `@Requires`, or the schema refuses to build.
 */
const PUBLIC_EXTENSION = 'keygatePublic';
export function Public() {
  return Extensions({ [PUBLIC_EXTENSION]: true });
}

export interface CatalogEntry {
  scope: Scope;
  resource: Resource;
  action: Action;
  /** `Type.field` coordinates, or `Type` for type-level requirements. */
  fields: string[];
}

export class UnguardedFieldError extends Error {
  constructor(readonly fields: string[]) {
    super(
      `Default deny: these root fields have no permission decision: ${fields.join(', ')}. ` +
        'Add @Requires(resource, action), or @Public() if any authenticated principal may call it.',
    );
  }
}

function requirementsOf(schema: GraphQLSchema, node: Parameters<typeof getDirective>[1]): PermissionMask {
  let mask = 0;
  for (const { resource, action } of getDirective(schema, node, REQUIRES) ?? []) {
    if (!isResource(resource) || !isAction(action)) throw new Error(`Bad @requires(${resource}, ${action})`);
    mask |= bit(resource, action);
  }
  return mask;
}

/** Adds the directive definition, built from the schema's own Resource and Action enums. */
function withDirectiveDefinition(schema: GraphQLSchema): GraphQLSchema {
  const resource = schema.getType('Resource');
  const action = schema.getType('Action');
  if (!(resource instanceof GraphQLEnumType) || !(action instanceof GraphQLEnumType)) {
    throw new Error('The schema must define the Resource and Action enums');
  }
  const requires = new GraphQLDirective({
    name: REQUIRES,
    description: 'The permission (resource:action) the principal must hold to resolve this field or any field of this type.',
    isRepeatable: true,
    locations: [DirectiveLocation.FIELD_DEFINITION, DirectiveLocation.OBJECT],
    args: { resource: { type: new GraphQLNonNull(resource) }, action: { type: new GraphQLNonNull(action) } },
  });
  const config = schema.toConfig();
  return new GraphQLSchema({ ...config, directives: [...config.directives, requires] });
}

/**
 * Wraps guarded resolvers and enforces default deny. Returns the guarded schema and the
 * permission catalog derived from the same directive usages, so the catalog cannot drift from
 * what is enforced.
 */
export function applyRequiresDirective(input: GraphQLSchema): { schema: GraphQLSchema; catalog: CatalogEntry[] } {
  const schema = withDirectiveDefinition(input);
  const rootTypes = new Set(
    [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].filter(Boolean).map((t) => t!.name),
  );
  const fieldsByScope = new Map<Scope, string[]>(ALL_SCOPES.map((s) => [s.scope, []]));
  const note = (mask: PermissionMask, coordinate: string) => {
    for (const s of ALL_SCOPES) if (mask & s.mask) fieldsByScope.get(s.scope)!.push(coordinate);
  };

  for (const type of Object.values(schema.getTypeMap())) {
    if (isObjectType(type) && !type.name.startsWith('__')) note(requirementsOf(schema, type), type.name);
  }

  const unguarded: string[] = [];
  const guarded = mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field: GraphQLFieldConfig<unknown, GraphQLContext>, fieldName, typeName, current) => {
      const fieldMask = requirementsOf(current, field);
      note(fieldMask, `${typeName}.${fieldName}`);
      const mask = fieldMask | requirementsOf(current, current.getType(typeName)!);
      if (mask === 0) {
        if (rootTypes.has(typeName) && field.extensions?.[PUBLIC_EXTENSION] !== true) unguarded.push(`${typeName}.${fieldName}`);
        return field;
      }
      const resolve = field.resolve ?? defaultFieldResolver;
      return {
        ...field,
        resolve(source, args, context, info) {
          const held = context.principal.permissions;
          if ((held & mask) !== mask) throw new ForbiddenError(missingScopes(held, mask)[0]);
          return resolve(source, args, context, info);
        },
      };
    },
  });
  if (unguarded.length > 0) throw new UnguardedFieldError(unguarded);

  const catalog = ALL_SCOPES.map(({ scope, resource, action }) => ({ scope, resource, action, fields: fieldsByScope.get(scope)! }));
  return { schema: guarded, catalog };
}
