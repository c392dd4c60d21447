import { KEYGATE } from '../../src/modules';
import { ApiKeysDocument, ViewerDocument, ViewerKindDocument } from '../generated/graphql';
import { expectOk } from '../support/expect';
import { TestApp } from '../support/harness';

/**
 * Each request's context is its principal and caller on a prototype every request shares
 * (http/graphql.route.ts). Apollo clones the context per request; the clone must neither build
 * the loaders (their getter was read by the clone on every request) nor mix two requests' fields.
 */
let t: TestApp;
beforeAll(async () => {
  t = await TestApp.create();
});
afterAll(() => t.close());

describe('request context', () => {
  it('builds the loaders only for a request that uses one, once per request', async () => {
    const built = jest.spyOn(KEYGATE, 'createLoaders');
    try {
      expectOk(await t.gql(ViewerKindDocument));
      expect(built).toHaveBeenCalledTimes(0);
      const keys = await t.gql(ApiKeysDocument, { first: 5 });
      expectOk(keys);
      expect(keys.body.data!.apiKeys.nodes.length).toBeGreaterThan(0);
      expect(built).toHaveBeenCalledTimes(1);
    } finally {
      built.mockRestore();
    }
  });

  it('keeps concurrent requests of two organizations apart', async () => {
    const other = await t.createOtherOrganization('Context Other');
    const asks = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? t.rootKey : other.rootKey));
    const answers = await Promise.all(asks.map((key) => t.gql(ViewerDocument, {}, { key })));
    answers.forEach((answer, i) => {
      expectOk(answer);
      expect(answer.body.data!.viewer.organization.id).toBe(i % 2 === 0 ? t.org.id : other.org.id);
      expect(answer.body.data!.viewer.apiKey!.name).toBeDefined();
    });
  });
});
