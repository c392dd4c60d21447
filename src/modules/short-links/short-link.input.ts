import { Field, ID, InputType } from 'type-graphql';

// Rules (URL schemes, slug alphabet, reserved words) live in short-link.rules.ts.

@InputType()
export class CreateShortLinkInput {
  @Field({ description: 'http or https, at most 2048 characters, no credentials.' }) url: string;
  @Field(() => String, { nullable: true, description: '1–64 of A-Z a-z 0-9 _ -; generated (7 characters) when omitted or empty.' }) slug?:
    string | null;
  @Field(() => ID, { nullable: true, description: 'A custom domain of yours; the default host when omitted.' }) domainId?: string | null;
  @Field(() => String, { nullable: true }) title?: string | null;
  @Field(() => [String], { nullable: true }) tags?: string[] | null;
}

@InputType()
export class UpdateShortLinkInput {
  @Field(() => String, { nullable: true }) url?: string | null;
  @Field(() => String, { nullable: true }) slug?: string | null;
  @Field(() => ID, { nullable: true, description: 'Pass null to move the link to the default host.' }) domainId?: string | null;
  @Field(() => String, { nullable: true }) title?: string | null;
  @Field(() => [String], { nullable: true }) tags?: string[] | null;
}

@InputType()
export class ShortLinkFilter {
  @Field(() => String, { nullable: true, description: 'Part of the slug, URL or title.' }) search?: string | null;
  @Field(() => ID, { nullable: true }) domainId?: string | null;
  @Field(() => String, { nullable: true }) tag?: string | null;
}
