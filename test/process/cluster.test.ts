import { execFileSync, spawn } from 'node:child_process';
import { finished, ROOT } from '../support/processes';

/** The build (when stale) and the short scenario; on a loaded 2-core machine, minutes. A hang detector. */
const CLUSTER_TIMEOUT_MS = 600_000;
jest.setTimeout(CLUSTER_TIMEOUT_MS + 10_000);

/**
 * `npm run cluster -- --short`, as CI runs it: three compiled keygate nodes behind a real HAProxy
 * on one PostgreSQL and one Redis, each property asserted by the scenario itself (exit 0) and its
 * figures printed. Nothing is skipped: without HAProxy or Redis the test fails and says so.
 */
it('the short cluster scenario passes and prints every figure', async () => {
  try {
    execFileSync('haproxy', ['-v'], { stdio: 'ignore' });
  } catch {
    throw new Error('haproxy is not installed: the cluster test needs it (apt-get install haproxy; .ci/run installs it)');
  }
  const child = spawn('npm', ['run', '-s', 'cluster', '--', '--short'], { cwd: ROOT, env: process.env });
  const { code, stdout, stderr } = await finished(child, CLUSTER_TIMEOUT_MS);
  const output = `${stdout}\n${stderr}`;
  expect({ code, failed: output.split('\n').filter((l) => /^FAIL|^cluster: (FAILED|[a-z])/.test(l)) }).toEqual({ code: 0, failed: [] });

  expect(stdout).toMatch(/^cluster: 3 keygate nodes \(dist\/src\/main\.js, NODE_ENV=production, jobs on all\) .* HAProxy version 2\.\d+/m);
  const [, applied, total] = stdout.match(/^ok {3}start: 3 nodes started at once .*: (\d+) of (\d+) migrations applied, once$/m)!;
  expect(applied).toBe(total);

  const [, accepted, over] = stdout.match(
    /^ok {3}rate limits: key limit 300\/min, 600 requests at ≤ 150\/s through HAProxy .*: accepted (\d+) = limit \+ (\d+) \(tolerance 150\/s × 2 × 100 ms = 30;.*other 0$/m,
  )!;
  expect(Number(accepted)).toBe(300 + Number(over));
  expect(Number(over)).toBeLessThanOrEqual(30);

  expect(stdout).toMatch(
    /^ok {3}revocation: 10 keys revoked, .*: 10\/10\/10 of 10; lag per node: n1 p50 [\d.]+ ms p99 [\d.]+ ms; n2 p50 [\d.]+ ms p99 [\d.]+ ms; n3 p50 [\d.]+ ms p99 [\d.]+ ms; max [\d.]+ ms$/m,
  );
  expect(stdout).toMatch(
    /^ok {3}webhooks: 60 shortLink\.created events .*receiver got 60 distinct event ids in 60 deliveries \(0 twice, 0 missing, 0 bad signatures\), .*webhook_deliveries: 60 rows, 60 events, 60 succeeded$/m,
  );

  const [, , mutations, stored] = stdout.match(
    /^ok {3}rolling restart: 3 nodes SIGTERMed in turn under 8 connections: (\d+) requests \((\d+) mutations, .*\), 0 failed; acknowledged links in PostgreSQL (\d+)\/\d+; n1 .*exit 0.*; n2 .*exit 0.*; n3 .*exit 0.*$/m,
  )!;
  expect(stored).toBe(mutations);

  const [, bound, cap, idle, acknowledged, kept, failed] = stdout.match(
    /^ok {3}kill -9: n2 killed under 12 connections .*; at most (\d+) may fail: cap (\d+) \+ (\d+) idle\): \d+ requests, (\d+) acknowledged, (\d+) of them in PostgreSQL; (\d+) failed/m,
  )!;
  expect(kept).toBe(acknowledged);
  expect(Number(bound)).toBe(Number(cap) + Number(idle));
  expect(Number(failed)).toBeLessThanOrEqual(Number(bound));

  expect(stdout).toMatch(/^ok {3}stop: SIGTERM to every node: exit codes 0, 0, 0$/m);
  expect(stdout).toMatch(/^cluster: PASSED, 7 checks, in \d+ s$/m);
});
