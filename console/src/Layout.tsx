import { chooseOrganization, signOut } from './api';
import { AuditLog } from './pages/AuditLog';
import { Domains } from './pages/Domains';
import { KeyDetail } from './pages/keys/KeyDetail';
import { KeysPage } from './pages/keys/KeysPage';
import { Members } from './pages/Members';
import { ShortLinks } from './pages/ShortLinks';
import { Webhooks } from './pages/Webhooks';
import { Link, usePath } from './router';
import { useSession } from './session';

const PAGES = [
  { path: '/keys', label: 'API keys' },
  { path: '/members', label: 'Members' },
  { path: '/audit', label: 'Audit log' },
  { path: '/links', label: 'Short links' },
  { path: '/domains', label: 'Domains' },
  { path: '/webhooks', label: 'Webhooks' },
];

function Page({ path }: { path: string }) {
  const key = path.match(/^\/keys\/([\w-]+)$/);
  if (key) return <KeyDetail id={key[1]} />;
  switch (path) {
    case '/':
    case '/keys':
      return <KeysPage />;
    case '/members':
      return <Members />;
    case '/audit':
      return <AuditLog />;
    case '/links':
      return <ShortLinks />;
    case '/domains':
      return <Domains />;
    case '/webhooks':
      return <Webhooks />;
    default:
      return (
        <p>
          No such page. <Link to="/keys">API keys</Link>
        </p>
      );
  }
}

function OrganizationSwitcher() {
  const { viewer, refresh } = useSession();
  if (viewer.organizations.length < 2) return <span className="org">{viewer.organization.name}</span>;
  return (
    <label className="org">
      Organization{' '}
      <select
        value={viewer.organization.id}
        onChange={(event) => {
          chooseOrganization(event.target.value);
          refresh();
        }}
      >
        {viewer.organizations.map((m) => (
          <option key={m.organization.id} value={m.organization.id}>
            {m.organization.name} ({m.role})
          </option>
        ))}
      </select>
    </label>
  );
}

export function Layout({ onSignedOut }: { onSignedOut: () => void }) {
  const { viewer } = useSession();
  const path = usePath();
  const current = path === '/' ? '/keys' : path;
  return (
    <>
      <header className="top">
        <span className="brand">keygate</span>
        <OrganizationSwitcher />
        <span className="who">
          {viewer.user?.email} · {viewer.role}
        </span>
        <button
          type="button"
          onClick={async () => {
            await signOut();
            onSignedOut();
          }}
        >
          Sign out
        </button>
      </header>
      <nav aria-label="Console">
        <ul>
          {PAGES.map((p) => (
            <li key={p.path}>
              <Link to={p.path} aria-current={current === p.path || current.startsWith(`${p.path}/`) ? 'page' : undefined}>
                {p.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      {/* Remounted per organization: nothing of one organization is shown in another. */}
      <main key={viewer.organization.id}>
        <Page path={path} />
      </main>
    </>
  );
}
