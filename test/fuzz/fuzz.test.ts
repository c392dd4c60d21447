import { compileQuery } from 'graphql-jit';
import { prepare, type FuzzEnvironment } from './campaign';
import { describeReport, runCampaign } from './runner';

/**
 * The grammar-based fuzzer (issue 17), bounded: a short, fixed-seed campaign inside `npm test`;
 * `npm run fuzz -- --minutes 30` runs the same campaign for as long as asked, with a new seed
 * each time unless `--seed` names one (scripts/fuzz.js sets these variables).
 */
const SEED = Number(process.env.FUZZ_SEED || 20261206);
const RUNS = Number(process.env.FUZZ_RUNS || 600);
const MINUTES = Number(process.env.FUZZ_MINUTES || 0);

jest.mock('graphql-jit', () => {
  const actual = jest.requireActual('graphql-jit');
  return { ...actual, compileQuery: jest.fn(actual.compileQuery) };
});
jest.setTimeout(MINUTES ? (MINUTES + 10) * 60_000 : 240_000);

let env: FuzzEnvironment;
beforeAll(async () => {
  env = await prepare();
});
afterAll(() => env?.close());

it(`generated operations: no 5xx, bounded cost, compiled = interpreted, released ⊆ allowed, refused changes change nothing, no side effect`, async () => {
  const report = await runCampaign(env, {
    seed: SEED,
    runs: MINUTES ? Number.MAX_SAFE_INTEGER : RUNS,
    timeLimitMs: MINUTES ? MINUTES * 60_000 : undefined,
  });
  console.log(describeReport(report));
  if (!MINUTES) expect(report.cases).toBe(RUNS);
  if (report.cases < 300) return;
  // A campaign of any length reached what it is for: compiled queries, changes that ran and changes refused, every kind of refusal.
  expect(jest.mocked(compileQuery).mock.calls.length).toBeGreaterThan(0);
  expect(report.mutations.ran).toBeGreaterThan(0);
  expect(report.mutations.refused).toBeGreaterThan(0);
  expect(Object.keys(report.codes)).toEqual(
    expect.arrayContaining(['BAD_USER_INPUT', 'FORBIDDEN', 'NOT_FOUND', 'GRAPHQL_VALIDATION_FAILED']),
  );
});
