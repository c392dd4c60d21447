import fc from 'fast-check';
import { queryString } from '../../src/kernel/query-string';

/**
 * The query string cut from a request target by hand (kernel/query-string.ts), which both the
 * pre-handler limits and Apollo read with URLSearchParams (one reading, so the document measured
 * is the document run), must give the parameters a URL gives: for any ASCII target, which is
 * what HTTP clients send (anything else percent-encoded). For raw non-ASCII after an invalid escape
 * Node's URLSearchParams and URL differ by replacement characters; both readers use the former.
 */
const params = (search: string) => [...new URLSearchParams(search)];
const viaUrl = (target: string) => [...new URL(target, 'http://keygate/').searchParams];

describe('queryString', () => {
  it.each([
    ['/graphql', ''],
    ['/graphql?', '?'],
    ['/graphql?query=%7Bviewer%7D', '?query=%7Bviewer%7D'],
    ['/graphql?query=a#frag', '?query=a'],
    ['/graphql#frag?query=a', ''],
    ['/graphql?a=1&b=%zz&c', '?a=1&b=%zz&c'],
  ])('%s → %s', (target, expected) => {
    expect(queryString(target)).toBe(expected);
    expect(params(queryString(target))).toEqual(viaUrl(target));
  });

  it('reads the same parameters as a URL would, for any target', () => {
    // No space: a request line is split at spaces, so no target holds one (a URL would trim a trailing one).
    const char = fc.constantFrom(...'?#&=%+ab/;:@0z'.split(''), '%7B', '%zz', '%C3%A9', '%00', '%');
    fc.assert(
      fc.property(fc.array(char, { maxLength: 30 }), (chars) => {
        const target = `/graphql${chars.join('')}`;
        expect(params(queryString(target))).toEqual(viaUrl(target));
      }),
      { numRuns: 2_000, seed: 21 },
    );
  });
});
