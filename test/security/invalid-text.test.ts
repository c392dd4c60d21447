import { expectError, expectOk } from '../support/expect';
import { TestApp } from '../support/harness';

// Literal documents: some carry the lone surrogate in their own text, and the refusals name variable paths (`h`, `f.search`), so each document's exact text is part of the expectation.

/**
 * A lone UTF-16 surrogate is a valid JavaScript string and a valid JSON escape, but it has no
 * UTF-8 form: PostgreSQL's jsonb refuses it (it reached the audit log's metadata and answered
 * 500). Every text input refuses it as BAD_USER_INPUT naming the field, before anything runs.
 */
let t: TestApp;
beforeAll(async () => {
  t = await TestApp.create();
});
afterAll(() => t.close());

const LONE = 'x\ud800y';
const MESSAGE = 'must be valid Unicode: it contains an unpaired UTF-16 surrogate (such as \\ud800).';

async function auditCount(): Promise<number> {
  return (await t.dataSource.query('SELECT count(*)::int AS n FROM audit_events'))[0].n;
}

describe('a lone surrogate in a variable (a JSON escape) is 400 BAD_USER_INPUT naming the field', () => {
  it('the request body really carries the JSON escape', () => {
    expect(JSON.stringify({ name: LONE })).toBe('{"name":"x\\ud800y"}');
  });

  it.each([
    [
      'createApiKey.name',
      'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }',
      { input: { name: LONE, permissions: { stats: ['read'] } } },
      'input.name',
    ],
    [
      'addMember.email',
      'mutation($email: String!) { addMember(email: $email, role: VIEWER) { role } }',
      { email: `a${LONE}@acme.test` },
      'email',
    ],
    [
      'createShortLink.title',
      'mutation($input: CreateShortLinkInput!) { createShortLink(input: $input) { id } }',
      { input: { url: 'https://example.com', title: LONE } },
      'input.title',
    ],
    ['createDomain.hostname', 'mutation($h: String!) { createDomain(hostname: $h) { id } }', { h: `go${LONE}.example.com` }, 'h'],
    ['apiKeys filter.search', 'query($f: ApiKeyFilter) { apiKeys(filter: $f) { totalCount } }', { f: { search: LONE } }, 'f.search'],
    [
      'a surrogate at the very end',
      'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }',
      { input: { name: 'tail\ud83d', permissions: {} } },
      'input.name',
    ],
  ])('%s', async (_case, query, variables, path) => {
    const before = await auditCount();
    const res = await t.gql(query, variables);
    const extensions = expectError(res, 'BAD_USER_INPUT', 400);
    expect(extensions.fields).toEqual({ [path]: `${path.split('.').at(-1)} ${MESSAGE}` });
    expect(res.body.errors![0].message).toBe(`Text input ${MESSAGE}`);
    expect(await auditCount()).toBe(before);
  });

  it('revokeApiKey.reason: refused, and the key stays active', async () => {
    const key = await t.createKey({ stats: ['read'] });
    const res = await t.gql('mutation($id: ID!, $reason: String) { revokeApiKey(id: $id, reason: $reason) { status } }', {
      id: key.id,
      reason: LONE,
    });
    expect(expectError(res, 'BAD_USER_INPUT', 400).fields).toEqual({ reason: `reason ${MESSAGE}` });
    const [row] = await t.dataSource.query('SELECT status FROM api_keys WHERE id = $1', [key.id]);
    expect(row.status).toBe('ACTIVE');
  });

  it('NUL and a lone surrogate in one request: each field says what is wrong with it', async () => {
    const res = await t.gql(
      'mutation($input: CreateApiKeyInput!, $id: ID!, $reason: String) { createApiKey(input: $input) { secret } revokeApiKey(id: $id, reason: $reason) { id } }',
      {
        input: { name: 'a\u0000b', permissions: {} },
        id: '00000000-0000-4000-8000-000000000000',
        reason: LONE,
      },
    );
    const extensions = expectError(res, 'BAD_USER_INPUT', 400);
    expect(extensions.fields).toEqual({ 'input.name': 'name must not contain NUL (\\u0000) characters.', reason: `reason ${MESSAGE}` });
  });

  it('paired surrogates (an emoji) are ordinary text', async () => {
    const created = expectOk(
      await t.gql('mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { name } } }', {
        input: { name: 'rocket 🚀', permissions: {} },
      }),
    );
    expect(created.createApiKey.apiKey.name).toBe('rocket 🚀');
  });
});

describe('a lone surrogate in a literal never reaches a resolver', () => {
  // graphql's parser refuses it in a string literal, escaped or raw: a 400 with the position, not a 500.
  it.each([
    [
      'as a \\u escape',
      'mutation { createApiKey(input: { name: "x\\ud800y", permissions: {} }) { secret } }',
      'Syntax Error: Invalid Unicode escape sequence: "\\ud800".',
    ],
    [
      'as a raw character',
      `mutation { createApiKey(input: { name: "${LONE}", permissions: {} }) { secret } }`,
      'Syntax Error: Invalid character within String: U+D800.',
    ],
  ])('%s', async (_case, query, message) => {
    const before = await auditCount();
    const res = await t.gql(query);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ message, locations: [expect.any(Object)], extensions: { code: 'GRAPHQL_PARSE_FAILED' } }]);
    expect(await auditCount()).toBe(before);
  });
});
