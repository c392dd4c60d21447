// `npm start` runs this first: `npm install` builds the console (postinstall), but an install
// made with --ignore-scripts, or a deleted console/dist, would leave /console without its page.
// Without Vite (an install with --omit=dev) it cannot be built here: the server then starts
// without the console page (/console answers 503), and this says so.
const { existsSync } = require('node:fs');
const { execSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
if (!existsSync(path.join(root, 'console', 'dist', 'index.html'))) {
  let vite = true;
  try {
    require.resolve('vite/package.json', { paths: [root] });
  } catch {
    vite = false;
  }
  if (vite) {
    console.error('keygate: building the console (console/dist is missing)…');
    execSync('npm run -s console:build', { cwd: root, stdio: 'inherit' });
  } else {
    console.error('keygate: warning: console/dist is missing and Vite is not installed: starting without the console page.');
  }
}
