import { chooseOrganization, signOut } from './api';
import { PAGES, type ConsolePage } from './pages';
import { Link, usePath } from './router';
import { useSession } from './session';

/** The console's home: the first page the person may read (a VIEWER reads no keys), else the first. */
function homePage(scopes: readonly string[]): ConsolePage {
  return PAGES.find((page) => scopes.includes(page.needs)) ?? PAGES[0];
}

/** What the path shows: the first page that answers it (`/` shows the home page). */
function Page({ path, home }: { path: string; home: ConsolePage }) {
  const at = path === '/' ? home.path : path;
  for (const page of PAGES) {
    const shown = page.render(at);
    if (shown) return <>{shown}</>;
  }
  return (
    <p>
      No such page. <Link to={home.path}>{home.label}</Link>
    </p>
  );
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
  const home = homePage(viewer.permissions.scopes);
  const current = path === '/' ? home.path : path;
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
        <Page path={path} home={home} />
      </main>
    </>
  );
}
