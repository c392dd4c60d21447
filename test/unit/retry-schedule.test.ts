import { DEFAULT_RETRY_DELAYS_MS, DEFAULT_RETRY_SCHEDULE, parseRetrySchedule, withJitter } from '../../src/kernel/retry-schedule';

describe('parseRetrySchedule', () => {
  it('parses the default: 6 retries, about 19.2 hours, so 7 attempts over about a day', () => {
    expect(DEFAULT_RETRY_SCHEDULE).toBe('30s,2m,10m,1h,6h,12h');
    const delays = parseRetrySchedule(DEFAULT_RETRY_SCHEDULE);
    expect(delays).toEqual([30_000, 120_000, 600_000, 3_600_000, 21_600_000, 43_200_000]);
    expect(DEFAULT_RETRY_DELAYS_MS).toEqual(delays);
    expect(Object.isFrozen(DEFAULT_RETRY_DELAYS_MS)).toBe(true);
    const total = delays.reduce((a, b) => a + b, 0);
    expect(total).toBe(69_150_000);
    expect(total / 3_600_000).toBeCloseTo(19.2, 1);
  });

  it('knows ms, s, m, h and d, and trims spaces around entries', () => {
    expect(parseRetrySchedule('250ms, 1s ,2m,  3h,1d')).toEqual([250, 1_000, 120_000, 10_800_000, 86_400_000]);
    expect(parseRetrySchedule(' 300ms ')).toEqual([300]);
    expect(parseRetrySchedule('0s')).toEqual([0]);
  });

  it('allows 20 entries and refuses 21', () => {
    expect(parseRetrySchedule(Array(20).fill('1s').join(','))).toHaveLength(20);
    expect(() => parseRetrySchedule(Array(21).fill('1s').join(','))).toThrow(
      'the retry schedule has 21 entries; at most 20 retries are allowed',
    );
  });

  it.each(['', '   '])('refuses an empty schedule (%j)', (text) => {
    expect(() => parseRetrySchedule(text)).toThrow(
      'the retry schedule is empty; give delays such as 30s,2m,10m,1h,6h,12h (units ms, s, m, h, d)',
    );
  });

  it.each([
    ['30s,,2m', 'entry 2 of the retry schedule is empty'],
    ['30s,2m,', 'entry 3 of the retry schedule is empty'],
    [',30s', 'entry 1 of the retry schedule is empty'],
  ])('refuses an empty entry in %j', (text, message) => {
    expect(() => parseRetrySchedule(text)).toThrow(message);
  });

  it.each(['30', '30 s', '30sec', '1w', '1H', '-5s', '1.5h', 's', '1e3ms', '0x10s', '30s;2m'])('refuses %j, quoting the entry', (entry) => {
    const first = entry.split(',')[0].trim();
    expect(() => parseRetrySchedule(entry)).toThrow(
      `"${first}" is not a delay; give delays such as 30s,2m,10m,1h,6h,12h (units ms, s, m, h, d)`,
    );
  });

  it('refuses a single delay above 30 days (a typo such as 12000h)', () => {
    expect(parseRetrySchedule('30d')).toEqual([2_592_000_000]);
    expect(() => parseRetrySchedule('1m,12000h')).toThrow('"12000h" is longer than the 30-day maximum for one retry delay');
    expect(() => parseRetrySchedule('999999999999d')).toThrow('longer than the 30-day maximum');
  });
});

describe('withJitter', () => {
  it('spreads by ±10% around the delay', () => {
    expect(withJitter(10_000, () => 0)).toBe(9_000);
    expect(withJitter(10_000, () => 0.5)).toBe(10_000);
    expect(withJitter(10_000, () => 0.999999)).toBe(11_000);
    expect(withJitter(10_000, () => 0.25)).toBe(9_500);
  });

  it('stays within the bounds with the real Math.random', () => {
    for (let i = 0; i < 1_000; i++) {
      const v = withJitter(60_000);
      expect(v).toBeGreaterThanOrEqual(54_000);
      expect(v).toBeLessThanOrEqual(66_000);
      expect(Number.isInteger(v)).toBe(true);
    }
  });

  it('is never negative, and a bad random source cannot push it out of range', () => {
    expect(withJitter(0, () => 0.7)).toBe(0);
    expect(withJitter(-5_000, () => 0)).toBe(0);
    expect(withJitter(Number.NaN)).toBe(0);
    expect(withJitter(10_000, () => -3)).toBe(9_000);
    expect(withJitter(10_000, () => 7)).toBe(11_000);
    expect(withJitter(10_000, () => Number.NaN)).toBe(10_000);
  });
});
