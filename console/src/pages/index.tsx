import type { ReactNode } from 'react';
import type { Scope } from '../generated/scopes';
import { AuditLog } from './AuditLog';
import { Domains } from './Domains';
import { KeyDetail } from './keys/KeyDetail';
import { KeysPage } from './keys/KeysPage';
import { Members } from './Members';
import { ShortLinks } from './ShortLinks';
import { StatsPage } from './Stats';
import { Webhooks } from './Webhooks';

/** One page of the console: where it lives, its name in the navigation, and what it shows at a path under it. */
export interface ConsolePage {
  path: string;
  label: string;
  /** The scope reading the page needs: the console's home is the first page the person may read. */
  needs: Scope;
  /** What the page shows at `path` or below it (`/keys/<id>`); null when the path is not its. */
  render(path: string): ReactNode | null;
}

const exactly = (path: string, page: () => ReactNode) => (at: string) => (at === path ? page() : null);

/**
 * Every page, in navigation order: adding one is its file and one line here. The home is the
 * first page the person may read. Layout.tsx reads this list for the navigation and for what to show.
 */
export const PAGES: readonly ConsolePage[] = [
  {
    path: '/keys',
    label: 'API keys',
    needs: 'apiKeys:read',
    render: (at) => (at === '/keys' ? <KeysPage /> : /^\/keys\/([\w-]+)$/.test(at) ? <KeyDetail id={at.slice('/keys/'.length)} /> : null),
  },
  { path: '/members', label: 'Members', needs: 'members:read', render: exactly('/members', () => <Members />) },
  { path: '/audit', label: 'Audit log', needs: 'apiKeys:read', render: exactly('/audit', () => <AuditLog />) },
  { path: '/links', label: 'Short links', needs: 'shortLinks:read', render: exactly('/links', () => <ShortLinks />) },
  { path: '/stats', label: 'Stats', needs: 'stats:read', render: exactly('/stats', () => <StatsPage />) },
  { path: '/domains', label: 'Domains', needs: 'domains:read', render: exactly('/domains', () => <Domains />) },
  { path: '/webhooks', label: 'Webhooks', needs: 'webhooks:read', render: exactly('/webhooks', () => <Webhooks />) },
];
