import { getDirective, MapperKind, mapSchema } from '@graphql-tools/utils';
import {
  defaultFieldResolver,
  DirectiveLocation,
  GraphQLDirective,
  GraphQLEnumType,
  GraphQLNonNull,
  GraphQLSchema,
  isInterfaceType,
  isObjectType,
  type GraphQLFieldConfig,
} from 'graphql';
import type { AccessModel } from '../../kernel/access';
import type { Action, PermissionMask } from '../../kernel/permissions';
import { ForbiddenError } from '../../kernel/errors';
import { PUBLIC_EXTENSION, REQUIRES } from '../requires.directive';

/** What a principal needs to resolve `Type.field`: the field's own @requires and its type's. */
export interface FieldRequirements {
  /** 0n when the field is unguarded. Abstract types answer for every type that may stand behind them. */
  of(typeName: string, fieldName: string): PermissionMask;
}

export interface CatalogEntry {
  scope: string;
  resource: string;
  action: Action;
  /** "Read short links.", from the resource's declaration. */
  description: string;
  /** `Type.field` coordinates, or `Type` for type-level requirements; empty for a reserved scope. */
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

function maskOf(schema: GraphQLSchema, node: Parameters<typeof getDirective>[1], access: AccessModel): PermissionMask {
  let mask = 0n;
  for (const { resource, action } of getDirective(schema, node, REQUIRES) ?? []) {
    // A requirement no resource declares could never be held: a build error, not a locked field.
    if (!access.declares(resource, action)) throw new Error(`@requires(${resource}, ${action}): no module declares ${resource}:${action}`);
    mask |= access.maskFromScopes([`${resource}:${action}`]);
  }
  return mask;
}

/** Adds the directive definition, built from the schema's own Resource and Action enums. */
export function withRequiresDefinition(schema: GraphQLSchema): GraphQLSchema {
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
 * Reads every @requires usage once. Enforces default deny (a root field with neither @requires
 * nor @Public() stops the build) and derives the permission catalog from the same usages, so
 * the catalog cannot drift from what is enforced.
 */
export function readRequirements(schema: GraphQLSchema, access: AccessModel): { requirements: FieldRequirements; catalog: CatalogEntry[] } {
  const byType = new Map<string, Map<string, PermissionMask>>();
  const fieldsByScope = new Map<string, string[]>(access.ALL_SCOPES.map((s) => [s.scope, []]));
  const note = (mask: PermissionMask, coordinate: string) => {
    for (const s of access.ALL_SCOPES) if (mask & s.mask) fieldsByScope.get(s.scope)!.push(coordinate);
  };
  const rootTypes = new Set(
    [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].filter(Boolean).map((t) => t!.name),
  );
  const unguarded: string[] = [];

  const types = Object.values(schema.getTypeMap()).filter((t) => !t.name.startsWith('__'));
  for (const type of types) {
    if (!isObjectType(type)) continue;
    const typeMask = maskOf(schema, type, access);
    note(typeMask, type.name);
    const fields = new Map<string, PermissionMask>();
    for (const field of Object.values(type.getFields())) {
      const fieldMask = maskOf(schema, field, access);
      note(fieldMask, `${type.name}.${field.name}`);
      const mask = fieldMask | typeMask;
      if (mask !== 0n) fields.set(field.name, mask);
      else if (rootTypes.has(type.name) && field.extensions?.[PUBLIC_EXTENSION] !== true) unguarded.push(`${type.name}.${field.name}`);
    }
    if (fields.size) byType.set(type.name, fields);
  }
  // A field selected on an interface needs what it needs on every implementation: the decision
  // is made before the runtime type is known, so it takes the union (never less than the truth).
  for (const type of types) {
    if (!isInterfaceType(type)) continue;
    const fields = new Map<string, PermissionMask>();
    for (const impl of schema.getPossibleTypes(type)) {
      for (const [name, mask] of byType.get(impl.name) ?? [])
        if (name in type.getFields()) fields.set(name, (fields.get(name) ?? 0n) | mask);
    }
    if (fields.size) byType.set(type.name, fields);
  }
  if (unguarded.length > 0) throw new UnguardedFieldError(unguarded);

  const catalog = access.ALL_SCOPES.map(({ scope, resource, action }) => ({
    scope,
    resource,
    action,
    description: access.describe(resource, action),
    fields: fieldsByScope.get(scope)!,
  }));
  return { requirements: { of: (typeName, fieldName) => byType.get(typeName)?.get(fieldName) ?? 0n }, catalog };
}

/**
 * Every guarded field's description ends with the scopes it needs, derived from the same
 * requirements that are enforced, so GraphiQL's docs (and the SDL) say it without anyone typing
 * it twice: "Requires stats:read."
 */
export function describeRequirements(schema: GraphQLSchema, requirements: FieldRequirements, access: AccessModel): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field, fieldName, typeName) => {
      const mask = requirements.of(typeName, fieldName);
      if (mask === 0n) return field;
      const note = `Requires ${access.scopesOf(mask).join(' and ')}.`;
      return { ...field, description: field.description ? `${field.description}\n\n${note}` : note };
    },
  });
}

/**
 * The schema used when an operation is only partly allowed (a query reaching fields its principal
 * may not read): each guarded field resolves to null with FORBIDDEN, exactly as the up-front
 * decision found. The check is synchronous and only guarded fields are wrapped; operations that
 * are fully allowed never run through this schema at all.
 */
export function guardSchema(schema: GraphQLSchema, requirements: FieldRequirements, access: AccessModel): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (
      field: GraphQLFieldConfig<unknown, { principal: { permissions: PermissionMask } }>,
      fieldName,
      typeName,
    ) => {
      const mask = requirements.of(typeName, fieldName);
      if (mask === 0n) return field;
      const resolve = field.resolve ?? defaultFieldResolver;
      return {
        ...field,
        resolve(source, args, context, info) {
          const held = context.principal.permissions;
          if ((held & mask) !== mask) throw new ForbiddenError({ required: access.missingScopes(held, mask) });
          return resolve(source, args, context, info);
        },
      };
    },
  });
}
