import { UsageRecorder } from '../../src/modules/api-keys/usage-recorder';
import { TestApp } from '../support/harness';

/**
 * A flush that fails on the timer used to be retried in silence. Now the first failure of a
 * streak is reported (logged by the app, at error), the recovery once, and every failure counted
 * (`keygate_write_behind_flush_failures_total`); nothing buffered is lost meanwhile.
 */
let t: TestApp;
beforeAll(async () => {
  t = await TestApp.create();
});
afterAll(() => t.close());

class Flaky extends UsageRecorder {
  failing = true;
  protected override async write(...args: Parameters<UsageRecorder['writeChunk']>): Promise<void> {
    if (this.failing) throw new Error('database away');
    return super.write(...args);
  }
}

it('three failed flushes: reported once, counted three times; the next success is reported once, and stores everything', async () => {
  const key = await t.createKey({ stats: ['read'] });
  const events: string[] = [];
  const recorder = new Flaky(t.dataSource);
  recorder.start(60_000, {
    name: 'usage',
    observer: {
      failed: (buffer, error) => events.push(`failed ${buffer}: ${(error as Error).message}`),
      recovered: (buffer, failures) => events.push(`recovered ${buffer} after ${failures}`),
    },
  });
  for (let i = 0; i < 3; i++) {
    recorder.record(key.id);
    await expect(recorder.flush()).rejects.toThrow('database away');
  }
  expect(events).toEqual(['failed usage: database away']);
  expect(recorder.flushFailures).toBe(3);
  recorder.failing = false;
  await recorder.flush();
  await recorder.flush();
  expect(events).toEqual(['failed usage: database away', 'recovered usage after 3']);
  await recorder.stop();
  expect(await t.dataSource.query('SELECT requests FROM api_key_usage WHERE api_key_id = $1', [key.id])).toEqual([{ requests: 3 }]);
});
