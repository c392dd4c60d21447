import { MEMBER_OPERATIONS } from './member.rules';
import { memberLoaders } from './member.loaders';
import { defineResource } from '../../kernel/access';
import { ACTIONS } from '../../kernel/permissions';
import { builtService, defineModule } from '../../core/module';
import { MEMBER_AUDIT } from './member.audit';
import { MemberResolver } from './member.resolver';
import { MemberService, type UserKeyRemover } from './member.service';
import { Membership } from './membership.entity';
import { User } from './user.entity';

declare module '../../kernel/permissions' {
  interface ResourceRegistry {
    members: true;
  }
}

/** Who belongs to the organization, and with which role: for admins only. */
export const membersModule = defineModule({
  name: 'members',
  resources: [defineResource({ name: 'members', description: 'organization members', actions: ACTIONS, roles: {} })],
  entities: [Membership, User],
  resolvers: [MemberResolver],
  operations: MEMBER_OPERATIONS,
  loaders: memberLoaders,
  audit: [MEMBER_AUDIT],
  services: ({ dataSource, access, changes }, built) => ({
    members: new MemberService(dataSource, builtService<UserKeyRemover>(built, 'apiKeys', 'members'), access, changes),
  }),
});
