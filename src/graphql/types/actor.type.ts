import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';

export enum PrincipalKindEnum {
  USER = 'USER',
  API_KEY = 'API_KEY',
  /** keygate itself: scheduled jobs and automatic actions. Appears only as an audit actor. */
  SYSTEM = 'SYSTEM',
}
registerEnumType(PrincipalKindEnum, { name: 'PrincipalKind' });

@ObjectType({ description: 'Who did something: a user (named by email) or an API key (named by name and prefix).' })
export class Actor {
  @Field(() => PrincipalKindEnum) kind: PrincipalKindEnum;
  @Field(() => ID) id: string;
  @Field() name: string;
}
