import { ALL_PERMISSIONS, everyAction, type PermissionMask, type Resource } from './permissions';

export enum Role {
  OWNER = 'OWNER',
  ADMIN = 'ADMIN',
  MEMBER = 'MEMBER',
  VIEWER = 'VIEWER',
}

/** The product resources a non-admin works with; apiKeys and members are for admins only. */
const PRODUCT_RESOURCES: Resource[] = ['shortLinks', 'domains', 'stats', 'files', 'webhooks'];

export const ROLE_PERMISSIONS: Record<Role, PermissionMask> = {
  [Role.OWNER]: ALL_PERMISSIONS,
  [Role.ADMIN]: ALL_PERMISSIONS,
  [Role.MEMBER]: everyAction(PRODUCT_RESOURCES),
  [Role.VIEWER]: everyAction(PRODUCT_RESOURCES, ['read']),
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && value in ROLE_PERMISSIONS;
}
