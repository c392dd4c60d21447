import type { Caller, Principal } from '../auth/principal';
import type { ApiKeyService } from '../modules/api-keys/api-key.service';
import type { AuditService } from '../modules/audit/audit.service';
import type { DomainService } from '../modules/domains/domain.service';
import type { MemberService } from '../modules/members/member.service';
import type { ShortLinkService } from '../modules/short-links/short-link.service';
import type { StatsService } from '../modules/stats/stats.service';
import type { WebhookService } from '../modules/webhooks/webhook.service';
import type { Loaders } from './loaders';
import type { CatalogEntry } from './requires.directive';

export interface Services {
  apiKeys: ApiKeyService;
  members: MemberService;
  audit: AuditService;
  shortLinks: ShortLinkService;
  domains: DomainService;
  stats: StatsService;
  webhooks: WebhookService;
}

/** What every resolver receives. Built per request after authentication succeeded. */
export interface GraphQLContext {
  principal: Principal;
  caller: Caller;
  loaders: Loaders;
  services: Services;
  catalog: CatalogEntry[];
}
