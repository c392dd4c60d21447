import { ViewerDocument } from '../generated/graphql';
import { expectOk } from '../support/expect';
import { TEST_SESSION_SECRET, TestApp } from '../support/harness';
import { runTs } from '../support/processes';
import { EVERY_SCOPE } from '../support/access';

let t: TestApp;
let env: Record<string, string>;
beforeAll(async () => {
  t = await TestApp.create();
  env = { DATABASE_URL: t.databaseUrl, SESSION_SECRET: TEST_SESSION_SECRET, NODE_ENV: 'test' };
});
afterAll(() => t.close());

describe('cli', () => {
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
  }, 60_000);

  it('session for someone who is not a member exits 2 with a message and prints no token', async () => {
    const result = await runTs('src/cli.ts', ['session', '--org', t.org.id, '--email', 'stranger@example.com'], env);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('stranger@example.com is not a member');
  }, 30_000);

  it('bad usage exits 2 with the usage text', async () => {
    const missing = await runTs('src/cli.ts', ['bootstrap', '--org', 'X'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--owner is required');
    const unknown = await runTs('src/cli.ts', ['frobnicate'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown command "frobnicate"');
  }, 30_000);

  it('migrate reports that nothing is pending on a migrated database', async () => {
    const result = await runTs('src/cli.ts', ['migrate'], env);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe('No pending migrations.');
  }, 30_000);
});
