import 'reflect-metadata';
import { DateTimeResolver } from 'graphql-scalars';
import type { GraphQLSchema } from 'graphql';
import { buildSchema, type NonEmptyArray } from 'type-graphql';
import { ApiKeyResolver } from '../modules/api-keys/api-key.resolver';
import { AuditResolver } from '../modules/audit/audit.resolver';
import { MemberResolver } from '../modules/members/member.resolver';
import { ViewerResolver } from '../modules/viewer/viewer.resolver';
import { applyRequiresDirective, type CatalogEntry } from './requires.directive';

export const RESOLVERS: NonEmptyArray<Function> = [ViewerResolver, ApiKeyResolver, MemberResolver, AuditResolver];

export interface KeygateSchema {
  schema: GraphQLSchema;
  catalog: CatalogEntry[];
}

/**
 * Builds the schema once: type-graphql classes → SDL with @requires usages → guarded resolvers.
 * Throws (default deny) when a root field has no permission decision.
 */
export async function buildKeygateSchema(resolvers: NonEmptyArray<Function> = RESOLVERS): Promise<KeygateSchema> {
  const built = await buildSchema({
    resolvers,
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    // Input rules live in the services (with field paths in errors), not in class-validator.
    validate: false,
  });
  return applyRequiresDirective(built);
}
