/** Every migration, in order. New ones are generated with `npm run migration:generate -- <Name>`. */
import { Init1795350680726 } from './1795350680726-Init';
import { LinksDomainsStatsWebhooks1795351990606 } from './1795351990606-LinksDomainsStatsWebhooks';
import { ApiKeyRateLimit1795353604242 } from './1795353604242-ApiKeyRateLimit';
import { ConsoleSignInAndKeyOrdering1796047318548 } from './1796047318548-ConsoleSignInAndKeyOrdering';
import { LiveApiKeyCount1796053000000 } from './1796053000000-LiveApiKeyCount';
import { OrganizationNameUnique1796057000000 } from './1796057000000-OrganizationNameUnique';
import { MemberFirstSignIn1796060000000 } from './1796060000000-MemberFirstSignIn';
import { ClickDevice1796060000001 } from './1796060000001-ClickDevice';
import { WriteBehindDrains1796070000000 } from './1796070000000-WriteBehindDrains';

export const MIGRATIONS: Function[] = [
  Init1795350680726,
  LinksDomainsStatsWebhooks1795351990606,
  ApiKeyRateLimit1795353604242,
  ConsoleSignInAndKeyOrdering1796047318548,
  LiveApiKeyCount1796053000000,
  OrganizationNameUnique1796057000000,
  MemberFirstSignIn1796060000000,
  ClickDevice1796060000001,
  WriteBehindDrains1796070000000,
];
