import { defineResource } from '../../kernel/access';
import { defineModule } from '../../core/module';

declare module '../../kernel/permissions' {
  interface ResourceRegistry {
    files: true;
  }
}

/**
 * Uploads are planned; the resource is declared so grants made for it keep their meaning, and
 * the permission catalog marks its scopes as reserved (they guard no field yet).
 */
export const filesModule = defineModule({
  name: 'files',
  resources: [
    defineResource({
      name: 'files',
      description: 'uploaded files',
      actions: ['create', 'read', 'update', 'delete'],
      roles: { MEMBER: ['create', 'read', 'update', 'delete'], VIEWER: ['read'] },
      reserved: true,
    }),
  ],
});
