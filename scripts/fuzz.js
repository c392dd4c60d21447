// `npm run fuzz -- [--minutes N] [--runs N] [--seed N]`: the grammar-based fuzzer of test/fuzz for
// as long as asked (10 minutes by default), on the same real PostgreSQL set-up as `npm test`.
// A new seed each run unless --seed names one; the seed is printed first, so a failure replays
// with `--seed <it>`. Exit code: Jest's (non-zero when an oracle failed).
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(args[at + 1]);
  if (!Number.isSafeInteger(value) || value < 0) {
    console.error(`--${name} takes a whole number (got ${JSON.stringify(args[at + 1])})`);
    process.exit(2);
  }
  return value;
};
const seed = option('seed', Math.floor(Math.random() * 2 ** 31));
const runs = option('runs', 0);
const minutes = runs ? 0 : option('minutes', 10);

console.log(
  `fuzz: seed ${seed}, ${runs ? `${runs} cases` : `${minutes} minutes`} (replay: npm run fuzz -- --seed ${seed}${runs ? ` --runs ${runs}` : ''})`,
);
const root = path.resolve(__dirname, '..');
const result = spawnSync(
  process.execPath,
  [require.resolve('jest/bin/jest', { paths: [root] }), 'test/fuzz', '--runInBand', '--verbose=false'],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, FUZZ_SEED: String(seed), FUZZ_RUNS: String(runs), FUZZ_MINUTES: String(minutes) },
  },
);
process.exit(result.status ?? 1);
