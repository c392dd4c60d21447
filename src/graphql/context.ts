import type { Caller, Principal } from '../auth/principal';
import type { AccessModel } from '../kernel/access';
import type { CatalogEntry } from './authorization/schema-requirements';

/**
 * What every resolver receives. Built per request after authentication; for a request without
 * credentials (`anonymous`), `principal`, `caller` and `loaders` throw when touched — only a pure
 * introspection query, which touches none of them, is ever executed for it.
 *
 * `services` and `loaders` are the modules' own; each resolver names the ones it uses (see
 * modules/context.ts), so this layer knows none of them.
 */
export interface GraphQLContext<Services = unknown, Loaders = unknown> {
  principal: Principal;
  caller: Caller;
  loaders: Loaders;
  services: Services;
  access: AccessModel;
  catalog: CatalogEntry[];
  anonymous: boolean;
  /** The up-front decision (authorization.plugin.ts): unset means not decided, and runs guarded. */
  authorization?: 'ALLOWED' | 'PARTIAL';
}
