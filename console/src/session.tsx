import { createContext, useContext } from 'react';
import type { ConsoleViewerQuery, ReasonFragment } from './generated/graphql';
import type { Scope } from './generated/scopes';

export type Viewer = ConsoleViewerQuery['viewer'];
export type Catalog = ConsoleViewerQuery['permissionCatalog'];

export interface Session {
  viewer: Viewer;
  catalog: Catalog;
  /** Reloads the viewer (after a role or organization change). */
  refresh(): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in console');
  return session;
}

/**
 * The one wording of a permission refusal, word for word the API's FORBIDDEN message
 * (src/kernel/errors.ts): a disabled button and a page the API refused say the same thing.
 */
export function refusalText(scopes: readonly string[]): string {
  return `Missing permission${scopes.length > 1 ? 's' : ''} ${scopes.join(', ')}.`;
}

/** Whether the signed-in person holds `scope` here, and the reason to show when not. */
export function useScope(scope: Scope): { allowed: boolean; reason: string } {
  const { viewer } = useSession();
  const allowed = viewer.permissions.scopes.includes(scope);
  return { allowed, reason: allowed ? '' : refusalText([scope]) };
}

/** The reason the API gives for one action of an object's `viewerCan`. */
export function reasonOf(reasons: ReasonFragment[], action: string): string {
  return reasons.find((r) => r.action === action)?.reason ?? '';
}
