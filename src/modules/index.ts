// The import order below is the order resolvers register their root fields in, and so the order
// of Query and Mutation fields in the SDL: keep it stable (the SDL test notices a change).
import { apiKeysModule } from './api-keys/api-keys.module';
import { auditModule } from './audit/audit.module';
import { membersModule } from './members/members.module';
import { domainsModule } from './domains/domains.module';
import { shortLinksModule } from './short-links/short-links.module';
import { statsModule } from './stats/stats.module';
import { viewerModule } from './viewer/viewer.module';
import { webhooksModule } from './webhooks/webhooks.module';
import { filesModule } from './files/files.module';
import { organizationsModule } from './organizations/organizations.module';
import { sessionsModule } from './sessions/sessions.module';
import { composeModules, type CoreServices } from '../core/compose';
import type { FeatureModule } from '../core/module';

/**
 * Every feature of keygate. Adding a guarded resource: a folder with its manifest
 * (`<feature>.module.ts`), a migration, and one line here. The order is the order of the
 * resources in the Resource enum and the Permissions type, and the order services are built in
 * (members and organizations use the api-keys service, so they come after it).
 */
export const MODULES = [
  shortLinksModule,
  domainsModule,
  statsModule,
  filesModule,
  apiKeysModule,
  webhooksModule,
  membersModule,
  organizationsModule,
  sessionsModule,
  auditModule,
  viewerModule,
] as const;

export const KEYGATE = composeModules(MODULES);

type UnionToIntersection<U> = (U extends unknown ? (k: U) => void : never) extends (k: infer I) => void ? I : never;
type ServicesOf<M> = M extends FeatureModule<infer S> ? S : never;

/** The whole service graph: every module's services, and the shared ones. */
export type Services = UnionToIntersection<ServicesOf<(typeof MODULES)[number]>> & CoreServices;
