import { Directive, Extensions } from 'type-graphql';
import type { Action, Resource, Scope } from '../kernel/permissions';

/**
 * `@requires(resource, action)`: the permission a field (or every field of a type) needs.
 *
 * The decorator only writes the directive into the SDL, so clients and GraphiQL see what each
 * field needs; `graphql/authorization/` reads those usages once, at start-up, and enforces them
 * (up front, per operation). This file knows nothing of requests, so entities can import it.
 */
export const REQUIRES = 'requires';

export function Requires(scope: Scope): MethodDecorator & PropertyDecorator & ClassDecorator;
export function Requires(resource: Resource, action: Action): MethodDecorator & PropertyDecorator & ClassDecorator;
/** `@Requires('shortLinks', 'read')`, or with a scope a feature's rules declare: `@Requires(SHORT_LINK_OPERATIONS.createShortLink)`. */
export function Requires(resourceOrScope: Resource | Scope, action?: Action) {
  const [resource, verb] = action ? [resourceOrScope, action] : (resourceOrScope as string).split(':');
  return Directive(`@${REQUIRES}(resource: ${resource}, action: ${verb})`);
}

/**
 * Marks a root field any authenticated principal may call. Reviewed use only: every Query and
 * Mutation field must carry either this or `@Requires`, or the schema refuses to build.
 */
export const PUBLIC_EXTENSION = 'keygatePublic';
export function Public() {
  return Extensions({ [PUBLIC_EXTENSION]: true });
}
