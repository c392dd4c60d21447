import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType()
export class RemovedMember {
  @Field(() => ID) userId: string;
  @Field(() => [ID], { description: 'The removed user’s USER keys, deleted with the membership.' })
  deletedApiKeyIds: string[];
}
