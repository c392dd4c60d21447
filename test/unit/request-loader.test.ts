import { RequestLoader, thenOrNow } from '../../src/core/request-loader';

/** core/request-loader.ts: primed values answer at once; everything else is DataLoader's. */
function loader() {
  const batches: string[][] = [];
  const l = new RequestLoader<string, string | null>(async (keys) => {
    batches.push([...keys]);
    return keys.map((k) => `loaded ${k}`);
  });
  return { l, batches };
}

describe('RequestLoader', () => {
  it('answers a primed key with the value itself, and loads nothing', async () => {
    const { l, batches } = loader();
    l.prime('a', 'primed a');
    l.prime('n', null);
    expect(l.get('a')).toBe('primed a');
    expect(l.get('n')).toBeNull();
    await expect(l.load('a')).resolves.toBe('primed a');
    expect(batches).toEqual([]);
  });

  it('loads a key that was not primed, batched, as a promise', async () => {
    const { l, batches } = loader();
    const [x, y] = [l.get('x'), l.get('y')];
    expect(x).toBeInstanceOf(Promise);
    await expect(Promise.all([x, y])).resolves.toEqual(['loaded x', 'loaded y']);
    expect(batches).toEqual([['x', 'y']]);
  });

  it('keeps what was asked before a prime, as DataLoader does', async () => {
    const { l, batches } = loader();
    const first = l.get('k');
    l.prime('k', 'primed later');
    await expect(first).resolves.toBe('loaded k');
    await expect(l.get('k')).resolves.toBe('loaded k');
    expect(batches).toEqual([['k']]);
  });

  it('an Error primes a rejection, never a value', async () => {
    const { l } = loader();
    l.prime('e', new Error('gone'));
    const got = l.get('e');
    expect(got).toBeInstanceOf(Promise);
    await expect(got).rejects.toThrow('gone');
  });

  it('clear forgets the primed value', async () => {
    const { l, batches } = loader();
    l.prime('c', 'primed c');
    l.clear('c');
    await expect(l.get('c')).resolves.toBe('loaded c');
    expect(batches).toEqual([['c']]);
  });

  it('keeps the first prime of a key, answers loadMany from primes, and clearAll forgets them', async () => {
    const { l, batches } = loader();
    l.prime('p', 'first');
    l.prime('p', 'second');
    expect(l.get('p')).toBe('first');
    await expect(l.loadMany(['p', 'q'])).resolves.toEqual(['first', 'loaded q']);
    expect(batches).toEqual([['q']]);
    l.clearAll();
    await expect(l.get('p')).resolves.toBe('loaded p');
    expect(batches).toEqual([['q'], ['p']]);
  });

  it('thenOrNow maps a value at once and a promise after it', async () => {
    expect(thenOrNow(2, (v) => v * 10)).toBe(20);
    await expect(thenOrNow(Promise.resolve(3), (v) => v * 10)).resolves.toBe(30);
  });
});
