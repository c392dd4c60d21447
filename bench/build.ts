import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * Makes a checkout's bench servers runnable as JavaScript: `npm run build` when dist/ is stale
 * (scripts/build.js --if-stale: keygate compiled by tsc exactly as it ships), then every
 * bench/*.ts transpiled (no type-checking: `npm run check` does that) into dist/bench/, beside
 * dist/src, so `../src/app` in a bench file is the compiled app. Returns dist/bench/server.js, or
 * null when the checkout has no build script (an old BENCH_BASELINE_ROOT: run through ts-node).
 */
export function buildForBench(root: string): string | null {
  const buildScript = path.join(root, 'scripts', 'build.js');
  if (!existsSync(buildScript)) return null;
  execFileSync(process.execPath, [buildScript, '--if-stale'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const from = path.join(root, 'bench');
  const to = path.join(root, 'dist', 'bench');
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.CommonJS,
    target: ts.ScriptTarget.ES2022,
    esModuleInterop: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
  };
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
    );
  for (const file of walk(from)) {
    const out = path.join(to, path.relative(from, file)).replace(/\.ts$/, '.js');
    mkdirSync(path.dirname(out), { recursive: true });
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions: options, fileName: file });
    writeFileSync(out, outputText);
  }
  return path.join(to, 'server.js');
}
