import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import {
  ClientCreateKeyDocument,
  ClientKeyDocument,
  ClientKeyPageDocument,
  type ClientKeyPageQuery,
  ClientLinkClicksDocument,
  ClientRevokeKeyDocument,
  CreateShortLinkIdDocument,
} from '../generated/graphql';
import { startClientWorld, type ClientWorld } from './client-world';

/** What a client gave back, read the way that client's users read it. */
export interface Outcome<T> {
  data: T | null | undefined;
  errors: { message: string; path?: readonly (string | number)[]; extensions?: Record<string, any> }[];
}

/** One GraphQL client nobody here wrote, with its default settings and the key in `x-api-key`. */
export interface ClientUnderTest {
  query<T, V>(document: TypedDocumentNode<T, V>, variables: V, key: string): Promise<Outcome<T>>;
  mutate<T, V>(document: TypedDocumentNode<T, V>, variables: V, key: string): Promise<Outcome<T>>;
}

/** Every request a client made: its method and keygate's status, in order. */
export type Exchange = { method: string; status: number };

/** The fetch every client is given: the real one, recording what went over the wire. */
export function recordingFetch(log: Exchange[]): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    log.push({ method: (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase(), status: response.status });
    return response;
  };
}

const codes = (o: Outcome<unknown>) => o.errors.map((e) => e.extensions?.code);

/** Each error's extensions as the client reports them, after checking it names its request (extensions.requestId). */
const extensionsOf = (o: Outcome<unknown>) =>
  o.errors.map((e) => {
    const { requestId, ...rest } = e.extensions ?? {};
    expect(requestId).toEqual(expect.any(String));
    return rest;
  });

/**
 * The contract every client must meet against a running keygate: paging, a create, a revoke, and
 * each error class with its code, extensions and HTTP status, as that client reports them.
 */
export function describeClientContract(name: string, make: (url: string, log: Exchange[]) => ClientUnderTest): void {
  describe(`${name} against a running keygate`, () => {
    let w: ClientWorld;
    let client: ClientUnderTest;
    const log: Exchange[] = [];
    const last = () => log[log.length - 1];

    beforeAll(async () => {
      w = await startClientWorld();
      client = make(w.url, log);
    });
    afterAll(() => w?.close());

    it('pages through apiKeys with its default query method', async () => {
      const seen: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 5; page++) {
        const { data, errors }: Outcome<ClientKeyPageQuery> = await client.query(ClientKeyPageDocument, { first: 2, after }, w.root);
        expect(errors).toEqual([]);
        expect(last()).toEqual({ method: expect.stringMatching(/^(GET|POST)$/), status: 200 });
        seen.push(...data!.apiKeys.nodes.map((n) => n.id));
        expect(data!.apiKeys.totalCount).toBe(5);
        if (!data!.apiKeys.pageInfo.hasNextPage) break;
        after = data!.apiKeys.pageInfo.endCursor;
      }
      expect(seen).toEqual(w.pageIds);
    });

    it('creates a key whose secret works at once, then revokes it and the secret is refused 401 REVOKED', async () => {
      const created = await client.mutate(
        ClientCreateKeyDocument,
        { input: { name: `${name} key`, permissions: { apiKeys: ['read'] } } },
        w.root,
      );
      expect(created.errors).toEqual([]);
      expect(last()).toEqual({ method: 'POST', status: 200 });
      const { secret, apiKey } = created.data!.createApiKey;
      expect(apiKey).toMatchObject({ name: `${name} key`, status: 'ACTIVE', permissions: { scopes: ['apiKeys:read'] } });

      const read = await client.query(ClientKeyDocument, { id: apiKey.id }, secret);
      expect(read.data!.apiKey).toEqual(expect.objectContaining({ id: apiKey.id, status: 'ACTIVE' }));

      const revoked = await client.mutate(ClientRevokeKeyDocument, { id: apiKey.id, reason: 'client test' }, w.root);
      expect(revoked.data!.revokeApiKey).toEqual(expect.objectContaining({ status: 'REVOKED', revokedReason: 'client test' }));

      const refused = await client.query(ClientKeyDocument, { id: apiKey.id }, secret);
      expect(extensionsOf(refused)).toEqual([{ code: 'UNAUTHENTICATED', reason: 'REVOKED' }]);
      expect(last().status).toBe(401);
    });

    it('UNAUTHENTICATED: 401 with the reason', async () => {
      const res = await client.query(ClientKeyPageDocument, { first: 1 }, 'kg_not_a_key');
      expect(extensionsOf(res)).toEqual([{ code: 'UNAUTHENTICATED', reason: 'MALFORMED' }]);
      expect(last().status).toBe(401);
    });

    it('FORBIDDEN: 403 naming the missing scope', async () => {
      const res = await client.query(ClientKeyPageDocument, { first: 1 }, w.statsOnly);
      expect(extensionsOf(res)).toEqual([{ code: 'FORBIDDEN', required: ['apiKeys:read'] }]);
      expect(last().status).toBe(403);
    });

    it('FORBIDDEN inside a list: one error for the selection path, not one per row; the rows still come back', async () => {
      const res = await client.query(ClientLinkClicksDocument, {}, w.noStats);
      expect(res.data!.shortLinks.nodes.map((n) => [n.slug, n.clicks])).toEqual([
        ['client-c', null],
        ['client-b', null],
        ['client-a', null],
      ]);
      expect(res.errors).toEqual([
        expect.objectContaining({
          message: 'Missing permission stats:read.',
          path: ['shortLinks', 'nodes', '@', 'clicks'],
          extensions: { code: 'FORBIDDEN', required: ['stats:read'], requestId: expect.any(String) },
        }),
      ]);
      expect(last().status).toBe(200);
    });

    it('BAD_USER_INPUT in the input: every bad field at once', async () => {
      const res = await client.mutate(
        ClientCreateKeyDocument,
        { input: { name: '', permissions: { stats: ['create'] }, expiresInDays: 999 } },
        w.root,
      );
      expect(codes(res)).toEqual(['BAD_USER_INPUT']);
      expect(res.errors[0].extensions!.fields).toEqual({
        'input.name': 'name must be 1 to 100 characters.',
        'input.permissions.stats': 'stats has no create permission.',
        'input.expiresInDays': 'expiresInDays must be between 1 and 365.',
      });
      expect(last().status).toBe(400);
    });

    it('BAD_USER_INPUT in the variables: every bad field at once, keyed like input fields', async () => {
      const res = await client.mutate(
        ClientCreateKeyDocument,
        { input: { name: 7, permissions: { stats: ['READ'], nothing: ['read'] } } } as never,
        w.root,
      );
      expect(codes(res)).toEqual(['BAD_USER_INPUT']);
      expect(res.errors[0].extensions!.fields).toEqual({
        'input.name': 'String cannot represent a non string value: 7',
        'input.permissions.stats[0]': 'Value "READ" does not exist in "Action" enum. Did you mean the enum value "read"?',
        // graphql-js locates an unknown field at its parent and names it in the message.
        'input.permissions': 'Field "nothing" is not defined by type "PermissionsInput".',
      });
      expect(last().status).toBe(400);
    });

    it('NOT_FOUND and CONFLICT: 200 with the code, as the error table says', async () => {
      const missing = await client.mutate(ClientRevokeKeyDocument, { id: '00000000-0000-4000-8000-000000000000' }, w.root);
      expect(codes(missing)).toEqual(['NOT_FOUND']);
      expect(last().status).toBe(200);
      const taken = await client.mutate(CreateShortLinkIdDocument, { input: { url: 'https://example.com/x', slug: 'client-a' } }, w.root);
      expect(codes(taken)).toEqual(['CONFLICT']);
      expect(last().status).toBe(200);
    });

    it('RATE_LIMITED: 429 once the key is over its limit', async () => {
      const first = await client.query(ClientKeyPageDocument, { first: 1 }, w.limited);
      expect(codes(first)).toEqual(['FORBIDDEN']);
      const second = await client.query(ClientKeyPageDocument, { first: 1 }, w.limited);
      expect(codes(second)).toEqual(['RATE_LIMITED']);
      expect(last().status).toBe(429);
    });
  });
}
