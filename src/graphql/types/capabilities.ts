import { Field, ObjectType, type ClassType } from 'type-graphql';
import type { Capabilities, CapabilityRefusal } from '../../kernel/capabilities';

@ObjectType({ description: 'Why the viewer may not take an action on an object.' })
export class CapabilityReason implements CapabilityRefusal {
  @Field({ description: 'The action, as named in viewerCan (e.g. "rotate").' }) action: string;
  @Field({ description: 'A sentence to show next to the disabled control.' }) reason: string;
  @Field({ description: 'The error code the mutation answers with: FORBIDDEN or CONFLICT.' }) code: string;
  @Field(() => [String], { description: 'Scopes the viewer would need; empty when the refusal is a rule, not a scope.' })
  required: string[];
  @Field(() => String, { nullable: true, description: 'The rule that refuses (see ForbiddenRule and ConflictRule), when it is one.' })
  rule: string | null;
}

/**
 * `<Name>ViewerCan { <action>: Boolean! … reasons: [CapabilityReason!]! }` (kernel/capabilities.ts),
 * one Boolean per action, in the order given.
 */
export function capabilitiesType<A extends string>(name: string, actions: Record<A, string>): ClassType<Capabilities<A>> {
  class ViewerCan {}
  for (const [action, description] of Object.entries<string>(actions)) {
    Field(() => Boolean, { description })(ViewerCan.prototype, action);
  }
  Field(() => [CapabilityReason], { description: 'Why each false above is false.' })(ViewerCan.prototype, 'reasons');
  ObjectType(`${name}ViewerCan`, { description: `What the caller may do to this ${name} now, by the rules its mutations apply.` })(
    ViewerCan,
  );
  return ViewerCan as ClassType<Capabilities<A>>;
}
