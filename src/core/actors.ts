import type { AccessModel } from '../kernel/access';
import type { PermissionMask, Resource } from '../kernel/permissions';
import type { PrincipalKind } from '../auth/principal';

export type ActorKind = PrincipalKind | 'SYSTEM';

/** Who acted: a principal, or keygate itself (scheduled jobs, automatic disabling). */
export interface AuditActor {
  kind: ActorKind;
  id: string;
  name: string;
}
export const SYSTEM_ACTOR: AuditActor = { kind: 'SYSTEM', id: '00000000-0000-0000-0000-000000000000', name: 'keygate' };

/**
 * Who acted is data of a resource: a person's email is member data, a key's name key data. A
 * reader sees an actor's name only when it may read that resource; otherwise a placeholder that
 * says what it would take.
 */
const RESOURCE_OF_ACTOR: Record<ActorKind, Resource | null> = { USER: 'members', API_KEY: 'apiKeys', SYSTEM: null };

export function seesActor(access: AccessModel, kind: ActorKind, held: PermissionMask): boolean {
  const resource = RESOURCE_OF_ACTOR[kind];
  return resource === null || access.holds(held, access.bit(resource, 'read'));
}

export function visibleActorName(access: AccessModel, kind: ActorKind, name: string, held: PermissionMask): string {
  return seesActor(access, kind, held) ? name : `(hidden: needs ${RESOURCE_OF_ACTOR[kind]}:read)`;
}
