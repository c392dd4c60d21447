import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The directory holding keygate's package.json, found upwards from `from`: the same answer from
 * the TypeScript sources (src/…) and from the compiled build (dist/src/…), which sits one level deeper.
 */
export function packageRoot(from: string): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}
