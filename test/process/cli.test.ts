import { ViewerDocument } from '../generated/graphql';
import { expectOk } from '../support/expect';
import { SecretBox } from '../../src/modules/webhooks/secret-box';
import { TEST_ENCRYPTION_KEY, TEST_SESSION_SECRET, TestApp } from '../support/harness';
import { PROCESS_TIMEOUT_MS, runTs } from '../support/processes';

jest.setTimeout(PROCESS_TIMEOUT_MS);
import { EVERY_SCOPE } from '../support/access';

let t: TestApp;
let env: Record<string, string>;
beforeAll(async () => {
  t = await TestApp.create();
  env = { DATABASE_URL: t.databaseUrl, SESSION_SECRET: TEST_SESSION_SECRET, NODE_ENV: 'test' };
});
afterAll(() => t.close());

/** Set by the bootstrap test, which the others follow. */
let cliOrgId: string;

describe('cli', () => {
  it('orgs lists every organization: id, name, plan, created, keys (not deleted)', async () => {
    await t.createKey({ stats: ['read'] }, { name: 'second' });
    const deleted = await t.createKey({ stats: ['read'] }, { name: 'gone' });
    await t.app.services.apiKeys.delete(t.owner.caller, deleted.id);
    const created = t.org.createdAt.toISOString();
    const json = await runTs('src/cli.ts', ['orgs', '--json'], env);
    expect(json).toEqual({
      code: 0,
      stdout: JSON.stringify([{ id: t.org.id, name: 'Acme', plan: 'FREE', createdAt: created, keys: 2 }]) + '\n',
      stderr: '',
    });
    const text = await runTs('src/cli.ts', ['orgs'], env);
    expect(text).toEqual({
      code: 0,
      stdout: `ID${' '.repeat(34)}  NAME  PLAN  CREATED${' '.repeat(17)}  KEYS\n` + `${t.org.id}  Acme  FREE  ${created}  2\n`,
      stderr: '',
    });
  });

  it('bootstrap --json prints the organization, owner, a session token and a working all-permissions BOT key', async () => {
    const result = await runTs(
      'src/cli.ts',
      ['bootstrap', '--org', 'Cli Org', '--owner', 'Boss@Example.com', '--plan', 'TEAM', '--json'],
      env,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(Object.keys(out).sort()).toEqual(['apiKey', 'organization', 'owner', 'sessionToken']);
    expect(out.organization).toEqual({ id: expect.any(String), name: 'Cli Org', plan: 'TEAM' });
    expect(out.owner).toEqual({ id: expect.any(String), email: 'boss@example.com' });
    expect(out.apiKey.secret).toMatch(/^sk_live_[0-9a-f]{64}[0-9A-Za-z]{6}$/);
    cliOrgId = out.organization.id;

    const asKey = expectOk(await t.gql(ViewerDocument, {}, { key: out.apiKey.secret }));
    expect(asKey.viewer.organization).toEqual({ id: out.organization.id, name: 'Cli Org', plan: 'TEAM' });
    expect(asKey.viewer.apiKey).toMatchObject({ id: out.apiKey.id, name: 'bootstrap', type: 'BOT' });
    expect(asKey.viewer.permissions.scopes).toEqual(EVERY_SCOPE);

    const asOwner = expectOk(await t.gql(ViewerDocument, {}, { token: out.sessionToken }));
    expect(asOwner.viewer).toMatchObject({ kind: 'USER', user: { id: out.owner.id, email: 'boss@example.com' } });

    const session = await runTs('src/cli.ts', ['session', '--org', out.organization.id, '--email', 'boss@example.com'], env);
    expect(session.code).toBe(0);
    const token = session.stdout.trim();
    expect(expectOk(await t.gql(ViewerDocument, {}, { token })).viewer.user?.email).toBe('boss@example.com');

    const plan = await runTs('src/cli.ts', ['set-plan', '--org', out.organization.id, '--plan', 'enterprise'], env);
    expect(plan.code).toBe(0);
    expect(expectOk(await t.gql(ViewerDocument, {}, { token })).viewer.organization.plan).toBe('ENTERPRISE');
  });

  it('session for someone who is not a member exits 1 with one line and prints no token', async () => {
    const result = await runTs('src/cli.ts', ['session', '--org', t.org.id, '--email', 'stranger@example.com'], env);
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'keygate: no user with email stranger@example.com\n' });
    const other = await runTs('src/cli.ts', ['session', '--org', 'Cli Org', '--email', t.owner.email], env);
    expect(other).toEqual({
      code: 1,
      stdout: '',
      stderr: `keygate: ${t.owner.email} is not a member of organization Cli Org (${cliOrgId})\n`,
    });
  });

  it('usage errors exit 2 with one line, never the whole usage; help prints it and exits 0', async () => {
    const hint = ' (see: npm run --silent cli -- help)\n';
    expect(await runTs('src/cli.ts', ['bootstrap', '--org', 'X'], env)).toEqual({
      code: 2,
      stdout: '',
      stderr: `keygate: --owner is required${hint}`,
    });
    expect(await runTs('src/cli.ts', ['frobnicate'], env)).toEqual({
      code: 2,
      stdout: '',
      stderr: `keygate: unknown command "frobnicate"${hint}`,
    });
    expect(await runTs('src/cli.ts', ['orgs', '--owner', 'x@example.com'], env)).toEqual({
      code: 2,
      stdout: '',
      stderr: `keygate: unknown option --owner${hint}`,
    });
    expect(await runTs('src/cli.ts', ['session', '--org'], env)).toEqual({
      code: 2,
      stdout: '',
      stderr: `keygate: --org needs a value${hint}`,
    });
    expect(await runTs('src/cli.ts', ['set-plan', '--org', 'Acme', '--plan', 'GOLD'], env)).toEqual({
      code: 2,
      stdout: '',
      stderr: `keygate: --plan must be one of FREE, STARTER, TEAM, ENTERPRISE${hint}`,
    });
    const help = await runTs('src/cli.ts', ['help'], env);
    expect(help.code).toBe(0);
    expect(help.stderr).toBe('');
    expect(help.stdout.startsWith('Usage: npm run --silent cli -- <command> [options]\n')).toBe(true);
    expect(help.stdout).toContain('  sign-in-link --email <email> [--org <name|id>] [--ttl <seconds>]\n');
  });

  it('--org takes a name, exactly but ignoring case, as well as an id; an unknown one is one line, exit 1', async () => {
    const plan = await runTs('src/cli.ts', ['set-plan', '--org', 'cli ORG', '--plan', 'starter', '--json'], env);
    expect(plan).toEqual({
      code: 0,
      stdout: JSON.stringify({ organization: { id: cliOrgId, name: 'Cli Org', plan: 'STARTER' } }) + '\n',
      stderr: '',
    });
    const unknown = await runTs('src/cli.ts', ['set-plan', '--org', 'Cli', '--plan', 'TEAM'], env);
    expect(unknown).toEqual({
      code: 1,
      stdout: '',
      stderr: 'keygate: no organization "Cli" (by id or name); list them with: npm run --silent cli -- orgs\n',
    });
  });

  it('bootstrap with a name that exists (in any case) is refused, exit 1, and creates nothing', async () => {
    const before = await t.dataSource.query('SELECT count(*)::int AS n FROM organizations');
    const again = await runTs('src/cli.ts', ['bootstrap', '--org', 'CLI org', '--owner', 'second@example.com'], env);
    expect(again).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `keygate: An organization named "Cli Org" (${cliOrgId}) already exists; names are unique, ignoring case. ` +
        'To use it, pass --org "CLI org" to session or sign-in-link.\n',
    });
    expect(await t.dataSource.query('SELECT count(*)::int AS n FROM organizations')).toEqual(before);
    expect(await t.dataSource.query("SELECT count(*)::int AS n FROM users WHERE email = 'second@example.com'")).toEqual([{ n: 0 }]);
  });

  it('reseal-webhook-secrets seals secrets of a previous key with ENCRYPTION_KEY, then finds them current', async () => {
    const { secret } = await t.app.services.webhooks.create(t.owner.caller, {
      url: 'http://127.0.0.1:9/cli',
      events: ['shortLink.created'],
    });
    const rotating = { ...env, ENCRYPTION_KEY: 'c3'.repeat(32), ENCRYPTION_KEY_PREVIOUS: TEST_ENCRYPTION_KEY };
    const first = await runTs('src/cli.ts', ['reseal-webhook-secrets', '--json'], rotating);
    expect([first.code, JSON.parse(first.stdout)]).toEqual([0, { resealed: 1, current: 0, unreadable: [] }]);
    const again = await runTs('src/cli.ts', ['reseal-webhook-secrets'], rotating);
    expect([again.code, again.stdout.trim()]).toEqual([0, 'Webhook secrets: 0 sealed again with ENCRYPTION_KEY, 1 already were.']);
    const sealed = (await t.dataSource.query('SELECT secret_sealed AS s FROM webhooks'))[0].s as string;
    expect(new SecretBox(Buffer.from('c3'.repeat(32), 'hex')).open(sealed)).toBe(secret);
  });

  it('migrate reports that nothing is pending on a migrated database', async () => {
    const result = await runTs('src/cli.ts', ['migrate'], env);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe('No pending migrations.');
  });
});
