import { ConflictError } from '../../src/kernel/errors';
import { TestApp } from '../support/harness';

/** Organization names are unique ignoring case, whichever way an organization is made. */
let t: TestApp;
beforeAll(async () => {
  t = await TestApp.create();
});
afterAll(() => t.close());

const count = async () => (await t.dataSource.query('SELECT count(*)::int AS n FROM organizations'))[0].n;

describe('organization names', () => {
  it('bootstrapping a taken name (other case, surrounding spaces) is CONFLICT and creates nothing', async () => {
    const before = await count();
    const error = await t.app.services.organizations.bootstrap({ name: '  ACME ', ownerEmail: 'new-owner@acme.test' }).catch((e) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toBe(`An organization named "Acme" (${t.org.id}) already exists; names are unique, ignoring case.`);
    expect(error.extensions).toEqual({ code: 'CONFLICT' });
    expect(await count()).toBe(before);
    expect(await t.dataSource.query("SELECT count(*)::int AS n FROM users WHERE email = 'new-owner@acme.test'")).toEqual([{ n: 0 }]);
  });

  it('two bootstraps of one new name at once: one organization, the other CONFLICT', async () => {
    const before = await count();
    const results = await Promise.allSettled([
      t.app.services.organizations.bootstrap({ name: 'Twin', ownerEmail: 'twin-a@acme.test' }),
      t.app.services.organizations.bootstrap({ name: 'TWIN', ownerEmail: 'twin-b@acme.test' }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason;
    expect(refused).toBeInstanceOf(ConflictError);
    expect(refused.message).toMatch(
      /^An organization named "(Twin|TWIN)"( \([0-9a-f-]{36}\))? already exists; names are unique, ignoring case\.$/,
    );
    expect(await count()).toBe(before + 1);
  });

  it('the database refuses a duplicate even behind the service’s back', async () => {
    await expect(t.dataSource.query("INSERT INTO organizations (name) VALUES ('acme')")).rejects.toMatchObject({
      code: '23505',
      constraint: 'organizations_name_lower_key',
    });
  });
});
