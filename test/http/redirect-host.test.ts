import { TestApp } from '../support/harness';

/**
 * A redirect on a verified custom domain looks the slug up among that domain's links, whatever
 * form the `Host` header takes: any case, a port, the trailing dot of a fully qualified name.
 * `go.acme.test.` used to miss the domain and serve another organization's default-host slug.
 */
let t: TestApp;
beforeAll(async () => {
  t = await TestApp.create();
  const domain = await t.app.services.domains.create(t.owner.caller, 'go.acme.test');
  await t.dataSource.query('UPDATE domains SET verified_at = now() WHERE id = $1', [domain.id]);
  await t.app.services.shortLinks.create(t.owner.caller, { url: 'https://acme.example/launch', slug: 'launch', domainId: domain.id });
  // Another organization owns the same slug on the default host.
  const other = await t.createOtherOrganization('Squatter');
  await t.app.services.shortLinks.create(other.owner.caller, { url: 'https://squatter.example/launch', slug: 'launch' });
});
afterAll(() => t.close());

const redirect = (host: string) => t.app.server.inject({ method: 'GET', url: '/launch', headers: { host } });

it.each(['go.acme.test', 'go.acme.test.', 'GO.ACME.TEST', 'Go.Acme.Test.', 'go.acme.test:8080', 'go.acme.test.:443', ' go.acme.test. '])(
  'Host: %j serves the verified domain’s own link',
  async (host) => {
    const res = await redirect(host);
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('https://acme.example/launch');
  },
);

it.each(['localhost', 'localhost:4000', 'unknown.example', '[::1]:4000'])('Host: %j is the default host', async (host) => {
  const res = await redirect(host);
  expect(res.statusCode).toBe(302);
  expect(res.headers.location).toBe('https://squatter.example/launch');
});

it('a hostname with two trailing dots is not the domain', async () => {
  expect((await redirect('go.acme.test..')).headers.location).toBe('https://squatter.example/launch');
});
