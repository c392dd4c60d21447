import { ACTIONS, ALL_PERMISSIONS, bit, type PermissionMask, type Resource } from './permissions';

export enum Role {
  OWNER = 'OWNER',
  ADMIN = 'ADMIN',
  MEMBER = 'MEMBER',
  VIEWER = 'VIEWER',
}

/** The product resources a non-admin works with; apiKeys and members are for admins only. */
const PRODUCT_RESOURCES: Resource[] = ['shortLinks', 'domains', 'stats', 'files', 'webhooks'];

function every(resources: Resource[], actions: readonly (typeof ACTIONS)[number][]): PermissionMask {
  return resources.reduce((mask, r) => actions.reduce((m, a) => m | bit(r, a), mask), 0);
}

export const ROLE_PERMISSIONS: Record<Role, PermissionMask> = {
  [Role.OWNER]: ALL_PERMISSIONS,
  [Role.ADMIN]: ALL_PERMISSIONS,
  [Role.MEMBER]: every(PRODUCT_RESOURCES, ACTIONS),
  [Role.VIEWER]: every(PRODUCT_RESOURCES, ['read']),
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && value in ROLE_PERMISSIONS;
}
