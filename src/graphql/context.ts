import type { Caller, Principal } from '../auth/principal';
import type { ApiKeyService } from '../modules/api-keys/api-key.service';
import type { AuditService } from '../modules/audit/audit.service';
import type { DomainService } from '../modules/domains/domain.service';
import type { MemberService } from '../modules/members/member.service';
import type { ShortLinkService } from '../modules/short-links/short-link.service';
import type { StatsService } from '../modules/stats/stats.service';
import type { WebhookService } from '../modules/webhooks/webhook.service';
import type { Loaders } from './loaders';
import type { CatalogEntry } from './authorization/schema-requirements';

export interface Services {
  apiKeys: ApiKeyService;
  members: MemberService;
  audit: AuditService;
  shortLinks: ShortLinkService;
  domains: DomainService;
  stats: StatsService;
  webhooks: WebhookService;
}

/**
 * What every resolver receives. Built per request after authentication; for a request without
 * credentials (`anonymous`), `principal`, `caller` and `loaders` throw when touched — only a pure
 * introspection query, which touches none of them, is ever executed for it.
 */
export interface GraphQLContext {
  principal: Principal;
  caller: Caller;
  loaders: Loaders;
  services: Services;
  catalog: CatalogEntry[];
  anonymous: boolean;
  /** The up-front decision (authorization.plugin.ts): unset means not decided, and runs guarded. */
  authorization?: 'ALLOWED' | 'PARTIAL';
}
