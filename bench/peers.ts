import { envelop, useEngine, useSchema } from '@envelop/core';
import { useGenericAuth } from '@envelop/generic-auth';
import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { applyMiddleware } from 'graphql-middleware';
import { allow, rule, shield } from 'graphql-shield';
import {
  defaultFieldResolver,
  GraphQLObjectType,
  isObjectType,
  Kind,
  type ConstDirectiveNode,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLFieldConfig,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import type { Principal } from '../src/auth/principal';
import { ForbiddenError } from '../src/kernel/errors';
import type { PermissionMask } from '../src/kernel/permissions';
import { KEYGATE } from '../src/modules';

/**
 * The peers: the same type-graphql schema and resolvers (buildUnguardedSchema), guarded another
 * way, each from the same @requires usages keygate reads. They are served by buildApp like
 * keygate itself (same HTTP stack, context, limits, logging and rate limits); keygate's up-front
 * decision sees no requirement on them, so everything they guard is guarded by the peer alone.
 */
export type PeerName = 'shield' | 'envelop' | 'mapschema' | 'unguarded';

interface Requirement {
  mask: PermissionMask;
  scopes: string[];
}

interface Directable {
  astNode?: { directives?: readonly ConstDirectiveNode[] } | null;
}

function requirementOf(node: Directable): Requirement | null {
  let mask = 0n;
  const scopes: string[] = [];
  for (const d of node.astNode?.directives ?? []) {
    if (d.name.value !== 'requires') continue;
    const arg = (n: string) => (d.arguments?.find((a) => a.name.value === n)?.value as { value?: string } | undefined)?.value ?? '';
    const [resource, action] = [arg('resource'), arg('action')];
    if (KEYGATE.access.declares(resource, action)) {
      mask |= KEYGATE.access.maskFromScopes([`${resource}:${action}`]);
      scopes.push(`${resource}:${action}`);
    }
  }
  return mask ? { mask, scopes } : null;
}

/** A field's requirement with its type's: what keygate's @requires enforces on it. */
function combined(typeReq: Requirement | null, fieldReq: Requirement | null): Requirement | null {
  if (!typeReq && !fieldReq) return null;
  return { mask: (typeReq?.mask ?? 0n) | (fieldReq?.mask ?? 0n), scopes: [...(typeReq?.scopes ?? []), ...(fieldReq?.scopes ?? [])] };
}

const forbidden = (r: Requirement) => new ForbiddenError({ required: r.scopes });

/** graphql-shield: the rule tree most projects write by hand, one rule per guarded field. */
function shieldPeer(schema: GraphQLSchema): GraphQLSchema {
  const ruleFor = (r: Requirement) =>
    rule({ cache: 'contextual' })((_parent, _args, ctx: { principal: Principal }) =>
      (ctx.principal.permissions & r.mask) === r.mask ? true : forbidden(r),
    );
  const tree: Record<string, Record<string, ReturnType<typeof ruleFor>>> = {};
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const typeReq = requirementOf(type);
    const fields: Record<string, ReturnType<typeof ruleFor>> = {};
    for (const field of Object.values(type.getFields())) {
      const r = combined(typeReq, requirementOf(field));
      if (r) fields[field.name] = ruleFor(r);
    }
    if (Object.keys(fields).length) tree[type.name] = fields;
  }
  return applyMiddleware(schema, shield(tree, { fallbackRule: allow, allowExternalErrors: true }));
}

/** A plain @graphql-tools/utils mapSchema transformer: an async wrapper on every guarded field. */
function mapSchemaPeer(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field, _fieldName, typeName) => {
      const type = schema.getType(typeName);
      const r = combined(type ? requirementOf(type) : null, requirementOf(field));
      if (!r) return field;
      const resolve = field.resolve ?? defaultFieldResolver;
      const guarded: GraphQLFieldResolver<unknown, { principal: Principal }> = async (parent, args, ctx, info) => {
        if ((ctx.principal.permissions & r.mask) !== r.mask) throw forbidden(r);
        return resolve(parent, args, ctx, info);
      };
      return { ...field, resolve: guarded } as GraphQLFieldConfig<unknown, unknown>;
    },
  });
}

/**
 * @envelop/generic-auth in `protect-granular` mode with `@requiresScopes` (as schema extensions,
 * the same scopes keygate's @requires names). Apollo has no envelop hook, so every root field
 * runs the envelop lifecycle (contextFactory → generic-auth's resolveUserFn, then execute →
 * generic-auth's extended validation of the whole operation) once per request before resolving;
 * the envelop engine's own execute is a no-op, the real execution being Apollo's.
 */
function envelopPeer(schema: GraphQLSchema): GraphQLSchema {
  type Extensions = Record<string, unknown>;
  const scoped = (extensions: Readonly<Extensions> | null | undefined, r: Requirement): Extensions => {
    const directives = (extensions?.directives ?? {}) as Record<string, unknown[]>;
    return { ...extensions, directives: { ...directives, requiresScopes: [{ scopes: [r.scopes] }] } };
  };
  const annotated = mapSchema(schema, {
    [MapperKind.OBJECT_TYPE]: (type) => {
      const r = requirementOf(type);
      if (!r) return type;
      const config = type.toConfig();
      return new GraphQLObjectType({ ...config, extensions: scoped(config.extensions, r) });
    },
    [MapperKind.OBJECT_FIELD]: (field) => {
      const r = requirementOf(field);
      return r ? { ...field, extensions: scoped(field.extensions, r) } : field;
    },
  });

  const scopesByMask = new Map<PermissionMask, string[]>();
  const getEnveloped = envelop({
    plugins: [
      useEngine({ execute: (): ExecutionResult => ({ data: {} }) }),
      useSchema(annotated),
      useGenericAuth<Principal, { principal: Principal }>({
        mode: 'protect-granular',
        resolveUserFn: (ctx) => ctx.principal,
        extractScopes: (principal) => {
          let scopes = scopesByMask.get(principal.permissions);
          if (!scopes) scopesByMask.set(principal.permissions, (scopes = KEYGATE.access.scopesOf(principal.permissions)));
          return scopes;
        },
      }),
    ],
  });

  // The operation as a document, built once per parsed operation (Apollo reuses them).
  const documents = new WeakMap<OperationDefinitionNode, DocumentNode>();
  const documentOf = (info: GraphQLResolveInfo): DocumentNode => {
    let document = documents.get(info.operation);
    if (!document) {
      document = { kind: Kind.DOCUMENT, definitions: [info.operation, ...Object.values(info.fragments)] };
      documents.set(info.operation, document);
    }
    return document;
  };
  const verdicts = new WeakMap<object, Promise<ExecutionResult>>();
  const authorize = (ctx: { principal: Principal }, info: GraphQLResolveInfo): Promise<ExecutionResult> => {
    let verdict = verdicts.get(ctx);
    if (!verdict) {
      const enveloped = getEnveloped(ctx);
      verdict = Promise.resolve(enveloped.contextFactory()).then(
        (contextValue) =>
          enveloped.execute({
            schema: enveloped.schema,
            document: documentOf(info),
            contextValue,
            variableValues: info.variableValues,
            operationName: info.operation.name?.value,
          }) as Promise<ExecutionResult>,
      );
      verdicts.set(ctx, verdict);
    }
    return verdict;
  };

  const roots = new Set([schema.getQueryType()?.name, schema.getMutationType()?.name]);
  return mapSchema(annotated, {
    [MapperKind.OBJECT_FIELD]: (field, _name, typeName) => {
      if (!roots.has(typeName)) return field;
      const resolve = field.resolve ?? defaultFieldResolver;
      const guarded: GraphQLFieldResolver<unknown, { principal: Principal }> = async (parent, args, ctx, info) => {
        const verdict = await authorize(ctx, info);
        if (verdict.errors?.length) throw verdict.errors[0];
        return resolve(parent, args, ctx, info);
      };
      return { ...field, resolve: guarded } as GraphQLFieldConfig<unknown, unknown>;
    },
  });
}

export function guardWithPeer(peer: PeerName, schema: GraphQLSchema): GraphQLSchema {
  switch (peer) {
    case 'shield':
      return shieldPeer(schema);
    case 'envelop':
      return envelopPeer(schema);
    case 'mapschema':
      return mapSchemaPeer(schema);
    case 'unguarded':
      // No authorization at all: what any guard is measured against.
      return schema;
  }
}
