// `npm start` runs this first: `npm install` builds the console (postinstall), but an install
// made with --ignore-scripts, or a deleted console/dist, would leave /console without its page.
const { existsSync } = require('node:fs');
const { execSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
if (!existsSync(path.join(root, 'console', 'dist', 'index.html'))) {
  console.error('keygate: building the console (console/dist is missing)…');
  execSync('npm run -s console:build', { cwd: root, stdio: 'inherit' });
}
