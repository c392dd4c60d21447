import { inTurn } from '../../src/kernel/in-turn';

describe('inTurn', () => {
  it('runs every step in order after a failure, then throws the first failure', async () => {
    const ran: string[] = [];
    const first = new Error('jobs stuck');
    await expect(
      inTurn([
        () => ran.push('a'),
        async () => {
          ran.push('b');
          throw first;
        },
        () => {
          ran.push('c');
          throw new Error('second');
        },
        async () => ran.push('d'),
      ]),
    ).rejects.toBe(first);
    expect(ran).toEqual(['a', 'b', 'c', 'd']);
  });

  it('resolves when every step does', async () => {
    const ran: number[] = [];
    await expect(inTurn([() => ran.push(1), async () => ran.push(2)])).resolves.toBeUndefined();
    expect(ran).toEqual([1, 2]);
  });
});
