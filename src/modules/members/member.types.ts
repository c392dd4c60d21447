import { Field, ID, ObjectType } from 'type-graphql';
import { Requires } from '../../graphql/requires.directive';
import { capabilitiesType } from '../../graphql/types/capabilities';

@ObjectType()
export class RemovedMember {
  @Field(() => ID) userId: string;
  @Requires('apiKeys', 'read')
  @Field(() => [ID], { description: 'The removed user’s USER keys, deleted with the membership.' })
  deletedApiKeyIds: string[];
}

export const MemberViewerCan = capabilitiesType('Member', {
  updateRole: 'updateMemberRole: give this member another role.',
  remove: 'removeMember: remove this member (and their USER keys).',
});
