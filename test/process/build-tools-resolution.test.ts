import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../support/processes';

/**
 * Attacker's pass (issue 20): `npm start`, `npm run cli`, `npm run migrate` and `npm install` run
 * scripts/build.js and scripts/console-build.js, which look for TypeScript and Vite. After
 * `npm prune --omit=dev` they are not in keygate's node_modules, and Node's resolution then walks
 * up the parent directories' node_modules: a local user who can write to any directory above the
 * checkout (a shared /srv, /opt or /tmp) could plant a `typescript` or `vite` there and have it
 * run as the service's user on the next start with changed sources, or the next install. The
 * build tools count only when installed in keygate's own node_modules.
 */
let parent: string;
let app: string;
const marker = (name: string) => path.join(parent, `${name}-ran`);

beforeAll(() => {
  parent = mkdtempSync(path.join(os.tmpdir(), 'keygate-planted-'));
  app = path.join(parent, 'keygate');
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  };
  // A pruned keygate: its scripts, sources, no build tools of its own.
  for (const script of ['build.js', 'console-build.js']) {
    mkdirSync(path.join(app, 'scripts'), { recursive: true });
    copyFileSync(path.join(ROOT, 'scripts', script), path.join(app, 'scripts', script));
  }
  write(
    path.join(app, 'package.json'),
    JSON.stringify({
      name: 'keygate',
      private: true,
      devDependencies: { '@types/node': '*' },
      // Stands for `vite build`: reached only when console-build.js believes Vite is installed.
      scripts: { 'console:build': 'node console-build-ran.js' },
    }),
  );
  write(path.join(app, 'src', 'main.ts'), 'export {};\n');
  write(path.join(app, 'console-build-ran.js'), `require('fs').writeFileSync(${JSON.stringify(marker('vite'))}, '');\n`);
  mkdirSync(path.join(app, 'node_modules'));
  // What someone planted one directory up.
  const planted = path.join(parent, 'node_modules');
  write(path.join(planted, '@types', 'node', 'package.json'), '{"name":"@types/node","version":"1.0.0"}');
  write(path.join(planted, 'typescript', 'package.json'), '{"name":"typescript","version":"1.0.0"}');
  write(path.join(planted, 'typescript', 'bin', 'tsc'), `require('fs').writeFileSync(${JSON.stringify(marker('tsc'))}, '');\n`);
  write(path.join(planted, 'vite', 'package.json'), '{"name":"vite","version":"1.0.0"}');
});
afterAll(() => rmSync(parent, { recursive: true, force: true }));

it('build.js never runs a TypeScript found above the checkout', () => {
  const run = spawnSync(process.execPath, [path.join(app, 'scripts', 'build.js'), '--if-stale'], { cwd: app, encoding: 'utf8' });
  expect(existsSync(marker('tsc'))).toBe(false);
  expect(run.status).toBe(1);
  expect(run.stderr).toContain('dist/ is not built and the build tools (TypeScript, type packages) are not installed');
});

it('console-build.js never runs a Vite found above the checkout', () => {
  const out = execFileSync(process.execPath, [path.join(app, 'scripts', 'console-build.js')], {
    cwd: app,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  expect(out).toBe('');
  expect(existsSync(marker('vite'))).toBe(false);
});
