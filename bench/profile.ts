import autocannon from 'autocannon';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openBenchDatabase, productionEnv, seed, startServerProcess } from './lib';

/**
 * `npm run bench:profile -- [query] [seconds]`: one keygate server in the production
 * configuration under load with V8's CPU profiler on, then its busy time by where it went
 * (self time grouped by package or keygate folder). For finding what the benchmark's ratios
 * are made of; the .cpuprofile stays behind for Chrome DevTools.
 */
const QUERY = process.argv[2] || '{ apiKeys(first: 50) { nodes { id name owner { email } createdBy { kind name } requestCount } } }';
const SECONDS = Number(process.argv[3] ?? 10);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function bucketOf(url: string, fn: string): string {
  if (!url) return fn === '(garbage collector)' || fn === '(idle)' || fn === '(program)' ? fn : `(native) ${fn}`;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return url;
  const src = url.indexOf('/src/');
  if (src >= 0) return `keygate ${path.dirname(url.slice(src + 1))}`;
  return url;
}

async function main() {
  const db = await openBenchDatabase();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keygate-profile-'));
  try {
    const seeded = await seed(db.url, 1000, 10000);
    const server = await startServerProcess('ours', productionEnv(db.url), path.join(dir, 'server.log'), [
      '--cpu-prof',
      `--cpu-prof-dir=${dir}`,
    ]);
    const pool = seeded.keys;
    const body = JSON.stringify({ query: QUERY });
    const run = (seconds: number) =>
      new Promise<autocannon.Result>((resolve, reject) =>
        autocannon(
          {
            url: `http://127.0.0.1:${server.port}/graphql`,
            connections: 10,
            duration: seconds,
            requests: [
              {
                method: 'POST',
                body,
                setupRequest: (req) => ({
                  ...req,
                  headers: { 'content-type': 'application/json', 'x-api-key': pool[Math.floor(Date.now() / 25) % pool.length] },
                }),
              },
            ],
          },
          (error, result) => (error ? reject(error) : resolve(result)),
        ),
      );
    await run(3);
    const result = await run(SECONDS);
    await server.stop();
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`no profile written in ${dir}`);
    const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map<string, number>();
    const fns = new Map<string, number>();
    let total = 0;
    let idle = 0;
    // Only the measured run: start-up (transpiling, loading) and the warm-up are left out.
    const from = profile.endTime - (SECONDS + 0.3) * 1e6;
    let at = profile.startTime;
    profile.samples.forEach((id, i) => {
      const node = byId.get(id)!;
      const dt = profile.timeDeltas[i] ?? 0;
      at += dt;
      if (at < from) return;
      const bucket = bucketOf(node.callFrame.url, node.callFrame.functionName);
      if (bucket === '(idle)') {
        idle += dt;
        return;
      }
      total += dt;
      self.set(bucket, (self.get(bucket) ?? 0) + dt);
      const fn = `${bucket} ${node.callFrame.functionName || '(anonymous)'}:${node.callFrame.lineNumber + 1}`;
      fns.set(fn, (fns.get(fn) ?? 0) + dt);
    });
    const pct = (v: number) => `${((100 * v) / total).toFixed(1).padStart(5)} %`;
    console.log(
      `${QUERY}\n${result.requests.average.toFixed(0)} req/s, ${result.non2xx} non-2xx; busy ${(total / 1e6).toFixed(1)} s, idle ${(idle / 1e6).toFixed(1)} s`,
    );
    console.log('\nself time by package / folder:');
    for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${pct(v)}  ${k}`);
    console.log('\nhottest functions:');
    for (const [k, v] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${pct(v)}  ${k}`);
    console.log(`\nprofile: ${path.join(dir, file)}`);
  } finally {
    await db.cleanup();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
