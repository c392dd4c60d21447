// `npm install` / `npm ci` (postinstall): builds the console with Vite. Vite is a development
// dependency, so an install with --omit=dev has none: then the console built before (a production
// image builds it before `npm prune --omit=dev`) is kept as is, or the install says how to get one.
// It never fails the install: the server runs without the console's page (/console answers 503).
const { existsSync } = require('node:fs');
const { execSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const built = existsSync(path.join(root, 'console', 'dist', 'index.html'));
let vite = true;
try {
  require.resolve('vite/package.json', { paths: [root] });
} catch {
  vite = false;
}

if (vite) {
  execSync('npm run -s console:build', { cwd: root, stdio: 'inherit' });
} else if (!built) {
  console.error(
    'keygate: the console is not built and Vite is not installed (an install with --omit=dev).\n' +
      'The server runs without the console page. To have it, build before pruning:\n' +
      '  npm ci && npm run build && npm prune --omit=dev   (npm ci builds the console; see docs/production.md)',
  );
}
