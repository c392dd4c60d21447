// Builds the console (console/dist) with Vite, for two callers:
// - `npm install` / `npm ci` (postinstall): always builds. Vite is a development dependency, so an
//   install with --omit=dev has none: then a console built before (a production image builds it
//   before `npm prune --omit=dev`) is kept as is, or this says how to get one.
// - `npm start` (prestart, `--if-missing`): builds only when console/dist is gone (an install made
//   with --ignore-scripts, a deleted folder).
// It never fails: without the console's page the server still runs (/console answers 503).
const { existsSync } = require('node:fs');
const { execSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const built = existsSync(path.join(root, 'console', 'dist', 'index.html'));
const ifMissing = process.argv.includes('--if-missing');
// Only a Vite in keygate's own node_modules: Node's resolution would go on to the parent
// directories', where anyone able to write above the checkout could plant one.
let vite;
try {
  vite = require.resolve('vite/package.json', { paths: [root] }).startsWith(path.join(root, 'node_modules') + path.sep);
} catch {
  vite = false;
}

if (ifMissing && built) {
  // Nothing to do: the usual start.
} else if (vite) {
  if (ifMissing) console.error('keygate: building the console (console/dist is missing)…');
  execSync('npm run -s console:build', { cwd: root, stdio: 'inherit' });
} else if (!built) {
  console.error(
    'keygate: the console is not built and Vite is not installed (an install with --omit=dev).\n' +
      'The server runs without the console page. To have it, build before pruning:\n' +
      '  npm ci && npm run build && npm prune --omit=dev   (npm ci builds the console; see docs/production.md)',
  );
}
