import { ApiKeySecret } from '../modules/api-keys/api-key-secret.entity';
import { ApiKeyUsage } from '../modules/api-keys/api-key-usage.entity';
import { ApiKey } from '../modules/api-keys/api-key.entity';
import { AuditEvent } from '../modules/audit/audit-event.entity';
import { Membership } from '../modules/members/membership.entity';
import { User } from '../modules/members/user.entity';
import { Domain } from '../modules/domains/domain.entity';
import { Organization } from '../modules/organizations/organization.entity';
import { ShortLink } from '../modules/short-links/short-link.entity';
import { LinkClick } from '../modules/stats/link-click.entity';
import { WebhookDelivery } from '../modules/webhooks/webhook-delivery.entity';
import { WebhookEvent } from '../modules/webhooks/webhook-event.entity';
import { Webhook } from '../modules/webhooks/webhook.entity';

/** Every TypeORM entity; the data source and the migration check both use this list. */
export const ENTITIES = [
  Organization,
  User,
  Membership,
  ApiKey,
  ApiKeySecret,
  ApiKeyUsage,
  AuditEvent,
  Domain,
  ShortLink,
  LinkClick,
  Webhook,
  WebhookEvent,
  WebhookDelivery,
];
