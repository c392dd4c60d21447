import { Field, ID, ObjectType } from 'type-graphql';
import { Requires } from '../../graphql/requires.directive';

@ObjectType()
export class RemovedMember {
  @Field(() => ID) userId: string;
  @Requires('apiKeys', 'read')
  @Field(() => [ID], { description: 'The removed user’s USER keys, deleted with the membership.' })
  deletedApiKeyIds: string[];
}
