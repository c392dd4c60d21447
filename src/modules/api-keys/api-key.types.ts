import { DateResolver } from 'graphql-scalars';
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { capabilitiesType } from '../../graphql/types/capabilities';
import { Connection } from '../../graphql/types/connection';
import { ApiKeyStatus } from '../../auth/api-key-states';
import { ApiKey } from './api-key.entity';

export enum ApiKeyToggle {
  ACTIVE = ApiKeyStatus.ACTIVE,
  INACTIVE = ApiKeyStatus.INACTIVE,
}
registerEnumType(ApiKeyToggle, { name: 'ApiKeyToggle', description: 'The reversible statuses a key can be switched between.' });

@ObjectType({ description: 'Returned once, when a secret is made. The secret is never readable again.' })
export class CreatedApiKey {
  @Field(() => ApiKey) apiKey: ApiKey;
  @Field({ description: 'The full key. Store it now: keygate keeps only its SHA-256.' })
  secret: string;
}

@ObjectType()
export class UsageDay {
  @Field(() => DateResolver) day: string;
  @Field(() => Int) requests: number;
}

@ObjectType()
export class ApiKeyConnection extends Connection(ApiKey) {}

export const ApiKeyViewerCan = capabilitiesType('ApiKey', {
  update: 'updateApiKey: change the name, permissions or rate limit.',
  rotate: 'rotateApiKey: issue a new secret.',
  setStatus: 'setApiKeyStatus: switch between ACTIVE and INACTIVE (to the status the key does not have).',
  enable: 'setApiKeyStatus(status: ACTIVE): false on a key that is already active (ALREADY_ACTIVE) or revoked.',
  disable: 'setApiKeyStatus(status: INACTIVE): false on a key that is already inactive (ALREADY_INACTIVE) or revoked.',
  revoke: 'revokeApiKey: end the key for good; false on a key already revoked (ALREADY_REVOKED).',
  delete: 'deleteApiKey: remove the key from lists.',
});
