import { ApiKeySecret } from '../modules/api-keys/api-key-secret.entity';
import { ApiKeyUsage } from '../modules/api-keys/api-key-usage.entity';
import { ApiKey } from '../modules/api-keys/api-key.entity';
import { AuditEvent } from '../modules/audit/audit-event.entity';
import { Membership } from '../modules/members/membership.entity';
import { User } from '../modules/members/user.entity';
import { Organization } from '../modules/organizations/organization.entity';

/** Every TypeORM entity; the data source and the migration check both use this list. */
export const ENTITIES = [Organization, User, Membership, ApiKey, ApiKeySecret, ApiKeyUsage, AuditEvent];
