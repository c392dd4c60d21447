// `npm run build`: compiles the server (src/ and migrations/) to JavaScript in dist/ with tsc
// (tsconfig.build.json: decorator metadata as in development), then writes dist/.build-stamp, a
// SHA-256 of every input. `--if-stale` (run before `npm start`, `npm run cli` and `npm run migrate`)
// builds only when dist/ is missing or the stamp differs from the sources: a fresh check reads
// the sources and hashes them, a few tens of milliseconds.
//
// After `npm prune --omit=dev` the build tools are gone: a fresh build runs as is; a missing one is
// an error that says what to do; a stale one is run with a warning (the sources changed after the build).
const { createHash } = require('node:crypto');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
const stampFile = path.join(dist, '.build-stamp');
const lockFile = path.join(root, '.build.lock');
const INPUTS = ['src', 'migrations', 'tsconfig.json', 'tsconfig.build.json'];

function* files(entry) {
  const full = path.join(root, entry);
  if (!fs.existsSync(full)) return;
  if (!fs.statSync(full).isDirectory()) {
    yield entry;
    return;
  }
  for (const name of fs.readdirSync(full).sort()) yield* files(path.join(entry, name));
}

/** The hash of every input's path and content; null when there are no sources (an image that ships dist/ only). */
function fingerprint() {
  const hash = createHash('sha256');
  let count = 0;
  for (const entry of INPUTS) {
    for (const file of files(entry)) {
      hash
        .update(`${file}\0`)
        .update(fs.readFileSync(path.join(root, file)))
        .update('\0');
      count += 1;
    }
  }
  return fs.existsSync(path.join(root, 'src')) && count > 0 ? hash.digest('hex') : null;
}

const built = () => fs.existsSync(path.join(dist, 'src', 'main.js'));
const readStamp = () => (fs.existsSync(stampFile) ? fs.readFileSync(stampFile, 'utf8').trim() : null);
const isFresh = (sum) => built() && (sum === null || readStamp() === sum);

/**
 * A module installed in keygate's own node_modules, else null. Node's resolution would go on to
 * the parent directories' node_modules, where anyone able to write above the checkout could plant
 * a `typescript` that `npm start` would then run.
 */
const ownModules = path.join(root, 'node_modules') + path.sep;
const resolves = (name) => {
  try {
    const found = require.resolve(name, { paths: [root] });
    return found.startsWith(ownModules) ? found : null;
  } catch {
    return null;
  }
};

/**
 * tsc, when the build can run: TypeScript and the type packages of devDependencies are installed.
 * (An install with --omit=dev keeps TypeScript, typeorm's optional peer through ts-node, but not the types.)
 */
function tscPath() {
  const { devDependencies = {} } = require(path.join(root, 'package.json'));
  const types = Object.keys(devDependencies).filter((name) => name.startsWith('@types/'));
  if (types.some((name) => !resolves(`${name}/package.json`))) return null;
  return resolves('typescript/bin/tsc');
}

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** One build at a time (two `npm start`s at once): the second waits, then finds the build fresh. */
function withLock(run) {
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const holder = Number(fs.readFileSync(lockFile, 'utf8')) || 0;
      let alive;
      try {
        alive = holder > 0 && process.kill(holder, 0);
      } catch {
        alive = false; // no such process: the lock was left behind
      }
      if (!alive || Date.now() > deadline) fs.rmSync(lockFile, { force: true });
      else sleep(200);
    }
  }
  try {
    return run();
  } finally {
    fs.rmSync(lockFile, { force: true });
  }
}

/** Compiles into a fresh directory and swaps it in, so a half-written dist/ is never run. */
function build(tsc) {
  const sum = fingerprint();
  const next = path.join(root, `dist.building-${process.pid}`);
  fs.rmSync(next, { recursive: true, force: true });
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', next], { cwd: root, stdio: 'inherit' });
  } catch {
    fs.rmSync(next, { recursive: true, force: true });
    console.error('keygate: the build failed (TypeScript errors above); nothing was changed in dist/.');
    process.exit(1);
  }
  if (sum) fs.writeFileSync(path.join(next, '.build-stamp'), `${sum}\n`);
  fs.rmSync(dist, { recursive: true, force: true });
  fs.renameSync(next, dist);
}

const ifStale = process.argv.includes('--if-stale');
const sum = ifStale ? fingerprint() : null;
if (ifStale && isFresh(sum)) process.exit(0);

const tsc = tscPath();
if (!tsc) {
  if (ifStale && built()) {
    console.error(
      'keygate: warning: the sources changed after the last `npm run build`; the build tools are not installed, so dist/ runs as built.',
    );
    process.exit(0);
  }
  console.error(
    'keygate: dist/ is not built and the build tools (TypeScript, type packages) are not installed: an install with --omit=dev.\n' +
      'Build before pruning: npm ci && npm run build && npm prune --omit=dev (see docs/production.md).',
  );
  process.exit(1);
}

withLock(() => {
  if (ifStale && isFresh(fingerprint())) return; // another process built it while we waited
  if (ifStale) console.error(built() ? 'keygate: sources changed, rebuilding dist/…' : 'keygate: building dist/ (first start)…');
  const startedAt = Date.now();
  build(tsc);
  if (ifStale) console.error(`keygate: built dist/ in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
});
