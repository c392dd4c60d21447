import { Role } from '../../src/kernel/access';
import { TEST_SESSION_SECRET, TestApp } from '../support/harness';
import { PROCESS_TIMEOUT_MS, runTs } from '../support/processes';

jest.setTimeout(PROCESS_TIMEOUT_MS);

/**
 * `npm run --silent cli -- sign-in-link --email <email>`, as the README and the first start's banner
 * say: the CLI (a real process on the test's database) prints a one-time console link, and an
 * in-process keygate on the same database signs the person in with it, once.
 */
let t: TestApp;
let env: Record<string, string>;
const PUBLIC_URL = 'https://keys.example.test';
const PREFIX = `${PUBLIC_URL}/console/#sign-in=`;

beforeAll(async () => {
  t = await TestApp.create();
  env = { DATABASE_URL: t.databaseUrl, SESSION_SECRET: TEST_SESSION_SECRET, NODE_ENV: 'test', PUBLIC_URL };
});
afterAll(() => t.close());

async function exchange(token: string) {
  return t.app.server.inject({ method: 'POST', url: '/console/auth/sign-in-link', payload: { token } });
}

async function viewer(session: string, csrf: string) {
  const res = await t.app.server.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', cookie: `keygate_session=${session}`, 'x-keygate-csrf': csrf },
    payload: JSON.stringify({ query: '{ viewer { kind role user { email } organization { name } } }' }),
  });
  return { status: res.statusCode, body: res.json() };
}

function tokenOf(stdout: string): string {
  expect(stdout.endsWith('\n')).toBe(true);
  const link = stdout.trimEnd();
  expect(link.startsWith(PREFIX)).toBe(true);
  const token = link.slice(PREFIX.length);
  expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  return token;
}

describe('cli sign-in-link', () => {
  it('prints PUBLIC_URL/console/#sign-in=<token> to stdout only; the link signs the member in to the console, once', async () => {
    const result = await runTs('src/cli.ts', ['sign-in-link', '--email', 'Owner@Acme.test'], env);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const token = tokenOf(result.stdout);

    const signIn = await exchange(token);
    expect(signIn.statusCode).toBe(204);
    const cookies = signIn.cookies as { name: string; value: string }[];
    const session = cookies.find((c) => c.name === 'keygate_session')!.value;
    const csrf = cookies.find((c) => c.name === 'keygate_csrf')!.value;
    expect(await viewer(session, csrf)).toEqual({
      status: 200,
      body: { data: { viewer: { kind: 'USER', role: 'OWNER', user: { email: 'owner@acme.test' }, organization: { name: 'Acme' } } } },
    });

    const again = await exchange(token);
    expect(again.statusCode).toBe(401);
    expect(again.json()).toEqual({
      error: {
        code: 'UNAUTHENTICATED',
        reason: 'INVALID_SIGN_IN_LINK',
        message: 'This sign-in link was already used or has expired. Ask for a new one: npm run cli -- sign-in-link --email <you>',
      },
    });
    // Only the token's hash is stored.
    const rows: { token_hash: string }[] = await t.dataSource.query('SELECT token_hash FROM sign_in_links');
    expect(rows.map((r) => r.token_hash)).not.toContain(token);
  });

  it('--org by name checks membership there; --ttl sets the expiry', async () => {
    const member = await t.addMember('viewer@acme.test', Role.VIEWER);
    const result = await runTs('src/cli.ts', ['sign-in-link', '--email', member.email, '--org', 'ACME', '--ttl', '120'], env);
    expect(result.code).toBe(0);
    const token = tokenOf(result.stdout);
    const [{ seconds }] = await t.dataSource.query(
      `SELECT round(extract(epoch FROM expires_at - created_at))::int AS seconds FROM sign_in_links WHERE user_id = $1`,
      [member.userId],
    );
    expect(seconds).toBe(120);
    expect((await exchange(token)).statusCode).toBe(204);

    const other = await t.createOtherOrganization('Elsewhere');
    const outsider = await runTs('src/cli.ts', ['sign-in-link', '--email', member.email, '--org', 'elsewhere'], env);
    expect(outsider).toEqual({
      code: 1,
      stdout: '',
      stderr: `keygate: viewer@acme.test is not a member of organization Elsewhere (${other.org.id})\n`,
    });
  });

  it('an unknown email exits 1 with one line and prints no link', async () => {
    const before = await t.dataSource.query('SELECT count(*)::int AS n FROM sign_in_links');
    const result = await runTs('src/cli.ts', ['sign-in-link', '--email', 'nobody@acme.test'], env);
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'keygate: no user with email nobody@acme.test\n' });
    expect(await t.dataSource.query('SELECT count(*)::int AS n FROM sign_in_links')).toEqual(before);
    const missing = await runTs('src/cli.ts', ['sign-in-link'], env);
    expect(missing).toEqual({ code: 2, stdout: '', stderr: 'keygate: --email is required (see: npm run --silent cli -- help)\n' });
  });
});
