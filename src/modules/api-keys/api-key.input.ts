import { Field, InputType, Int, registerEnumType } from 'type-graphql';
import { OrderDirection } from '../../graphql/types/connection';
import { PermissionsInput } from '../../graphql/types/access.types';
import { ApiKeyStatus, ApiKeyType } from '../../auth/api-key-states';

// Ranges and formats are checked by ApiKeyService, so the rules hold for every caller and the
// errors carry field paths; these classes only describe the wire shape.

@InputType()
export class CreateApiKeyInput {
  @Field({ description: '1 to 100 characters, e.g. "GitHub Actions".' })
  name: string;

  @Field(() => ApiKeyType, { nullable: true, defaultValue: ApiKeyType.BOT })
  type?: ApiKeyType | null;

  @Field(() => PermissionsInput)
  permissions: PermissionsInput;

  @Field(() => Int, { nullable: true, description: '1 to 365; or give expiresAt; or neither for no expiry.' })
  expiresInDays?: number | null;

  @Field(() => Date, { nullable: true, description: 'Must be in the future.' })
  expiresAt?: Date | null;

  @Field(() => Int, { nullable: true, description: 'Requests per minute, below the plan’s limit; omitted: the plan’s limit.' })
  rateLimitPerMinute?: number | null;
}

@InputType()
export class UpdateApiKeyInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => PermissionsInput, { nullable: true, description: 'Replaces the whole grant.' })
  permissions?: PermissionsInput | null;

  @Field(() => Int, { nullable: true, description: 'Requests per minute; 0 removes the per-key limit.' })
  rateLimitPerMinute?: number | null;
}

@InputType()
export class ApiKeyFilter {
  @Field(() => ApiKeyStatus, { nullable: true })
  status?: ApiKeyStatus | null;

  @Field(() => ApiKeyType, { nullable: true })
  type?: ApiKeyType | null;

  @Field(() => String, { nullable: true, description: 'Owner user id (USER keys).' })
  ownerId?: string | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Keys that will expire within this many days from now: not revoked (INACTIVE keys included; they still expire).',
  })
  expiringWithinDays?: number | null;

  @Field(() => String, { nullable: true, description: 'Part of the name, or an exact display prefix.' })
  search?: string | null;
}

/** What `apiKeys` can be ordered by; each has an index on (org_id, column, id). */
export enum ApiKeyOrderField {
  CREATED_AT = 'CREATED_AT',
  LAST_USED_AT = 'LAST_USED_AT',
  EXPIRES_AT = 'EXPIRES_AT',
  NAME = 'NAME',
}
registerEnumType(ApiKeyOrderField, { name: 'ApiKeyOrderField' });

@InputType({ description: 'Keys never used or never expiring come last in either direction.' })
export class ApiKeyOrder {
  @Field(() => ApiKeyOrderField)
  field: ApiKeyOrderField;

  @Field(() => OrderDirection)
  direction: OrderDirection;
}
