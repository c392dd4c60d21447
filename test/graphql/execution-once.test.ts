import { TestApp } from '../support/harness';

/**
 * Stage 5 (graphql/pipeline/execute.stage.ts) runs an operation in the plugin's
 * `responseForOperation` and answers a result without errors itself; a result with errors is
 * kept for Apollo's gateway call, which returns it unrun so Apollo formats its errors. Either way
 * the operation runs once: a list is read once, and a mutation could never run twice.
 */
describe('an operation runs once, answered by the plugin or through the gateway', () => {
  let t: TestApp;
  let statsless: string;
  beforeAll(async () => {
    t = await TestApp.create();
    await t.app.services.shortLinks.create(t.owner.caller, { url: 'https://example.com/once' });
    statsless = (await t.createKey({ shortLinks: ['read'] })).secret;
  });
  afterAll(() => t.close());

  it('without errors: one read, the data', async () => {
    const list = jest.spyOn(t.app.services.shortLinks, 'list');
    const res = await t.gql('{ shortLinks(first: 5) { nodes { url } } }');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { shortLinks: { nodes: [{ url: 'https://example.com/once' }] } } });
    expect(list).toHaveBeenCalledTimes(1);
    list.mockRestore();
  });

  it('with a refused field: one read, the data and the error Apollo formatted', async () => {
    const list = jest.spyOn(t.app.services.shortLinks, 'list');
    const res = await t.gql('{ shortLinks(first: 5) { nodes { url clicks } } }', {}, { key: statsless });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ shortLinks: { nodes: [{ url: 'https://example.com/once', clicks: null }] } });
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(list).toHaveBeenCalledTimes(1);
    list.mockRestore();
  });

  it('a mutation the service refuses runs once', async () => {
    const create = jest.spyOn(t.app.services.shortLinks, 'create');
    const res = await t.gql('mutation { createShortLink(input: { url: "not a url" }) { url } }');
    expect(res.status).toBe(400);
    expect(res.body.data).toBeNull();
    expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(create).toHaveBeenCalledTimes(1);
    create.mockRestore();
  });
});
