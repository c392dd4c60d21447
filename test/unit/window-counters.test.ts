import { WindowCounters } from '../../src/http/window-counters';

/**
 * Without Redis, ended windows are forgotten once a window, so per-IP failed-authentication
 * counters cannot grow without bound (the dependency review of issue 17: they were only ever
 * pruned by the Redis sync). Jest's clock, so no test waits for a real minute.
 */
beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

it('a thousand subjects, one window later: none kept; a subject still in its window is kept', async () => {
  const counters = new WindowCounters(null, 'test:', { windowMs: 60_000, syncIntervalMs: 100 });
  try {
    for (let i = 0; i < 1000; i++) await counters.hit(`203.0.113.${i % 250}:${i}`);
    expect(counters.size).toBe(1000);
    jest.advanceTimersByTime(30_000);
    expect((await counters.hit('late')).count).toBe(1);
    expect(counters.size).toBe(1001);
    jest.advanceTimersByTime(30_000);
    // The pass at one window: the thousand have ended, 'late' has 30 s to go.
    expect(counters.size).toBe(1);
    expect(counters.peek('late').count).toBe(1);
    jest.advanceTimersByTime(60_000);
    expect(counters.size).toBe(0);
  } finally {
    counters.stop();
  }
});
