import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema } from 'graphql';
import { releasedBeyond, sameAnswer, stringsIn } from './oracles';

/** The fuzzer's oracles can fail: each is shown a case it must refuse, beside one it must accept. */
const schema = buildSchema(readFileSync(path.resolve(__dirname, '../../schema/schema.graphql'), 'utf8'));

describe('released ⊆ allowed (read from the SDL’s @requires)', () => {
  const query = '{ v: viewer { kind apiKey { name } } shortLinks { nodes { slug clicks } } }';
  const data = { v: { kind: 'API_KEY', apiKey: { name: 'k' } }, shortLinks: { nodes: [{ slug: 's', clicks: 3 }] } };

  it('names each field released without its scopes, type-level ones included', () => {
    expect(releasedBeyond(schema, query, data, new Set(['shortLinks:read']))).toEqual([
      { path: 'v.apiKey.name', missing: ['apiKeys:read'] },
      { path: 'shortLinks.nodes.clicks', missing: ['stats:read'] },
    ]);
  });

  it('accepts data within the scopes, and nulls anywhere', () => {
    expect(releasedBeyond(schema, query, data, new Set(['shortLinks:read', 'stats:read', 'apiKeys:read']))).toEqual([]);
    expect(releasedBeyond(schema, query, { v: { kind: 'API_KEY', apiKey: null }, shortLinks: null }, new Set())).toEqual([]);
  });
});

describe('compiled = interpreted', () => {
  const answer = (body: unknown) => JSON.stringify(body);
  const error = (path: (string | number)[]) => ({ message: 'bad', path, extensions: { code: 'BAD_USER_INPUT' } });

  it('accepts graphql-jit’s one documented difference: more errors under the parent an error nulled', () => {
    const data = { viewer: { apiKey: null } };
    expect(
      sameAnswer(
        answer({ errors: [error(['viewer', 'apiKey', 'a'])], data }),
        answer({ errors: [error(['viewer', 'apiKey', 'a']), error(['viewer', 'apiKey', 'b'])], data }),
      ),
    ).toBe(true);
  });

  it.each([
    ['different data', { data: { a: 1 } }, { data: { a: 2 } }],
    ['a graphql-js error missing', { errors: [error(['a'])], data: null }, { data: null }],
    ['an extra error whose parent was not nulled', { data: { v: { a: 1 } } }, { errors: [error(['v', 'b'])], data: { v: { a: 1 } } }],
    ['instants further apart than the tolerance', { data: { t: '2026-01-01T00:00:00Z' } }, { data: { t: '2026-01-01T00:00:06Z' } }],
  ])('refuses %s', (_name, interpreted, compiled) => {
    expect(sameAnswer(answer(interpreted), answer(compiled))).toBe(false);
  });

  it('accepts instants read from the clock a moment apart', () => {
    expect(sameAnswer(answer({ data: { t: '2026-01-01T00:00:00.000Z' } }), answer({ data: { t: '2026-01-01T00:00:00.700Z' } }))).toBe(true);
  });
});

it('stringsIn finds every string of a JSON value', () => {
  expect(stringsIn({ a: ['x', { b: 'y' }], c: 1, d: null })).toEqual(['x', 'y']);
});
