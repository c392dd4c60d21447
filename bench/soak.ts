import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { mkdtempSync } from 'node:fs';
import { openBenchDatabase, productionEnv, seed, startServerProcess } from './lib';

/**
 * `npm run soak`: a mixed workload at a fixed rate for 60 s (SOAK_SECONDS) against the server
 * process on the embedded PostgreSQL — authenticated reads, list queries, key creation and
 * revocation, redirects. Reports requests, 5xx (must be 0), p99, and the server's RSS/heap at
 * start, after warm-up and at the end (growth after warm-up must stay under 10%). Writes
 * bench/SOAK.md. Not part of npm test.
 */
const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const RATE = Number(process.env.SOAK_RATE ?? 300);
const WARMUP_SECONDS = Math.min(15, Math.max(2, Math.round(SECONDS / 4)));

interface Memory {
  rss: number;
  heapUsed: number;
}

async function main() {
  const { url, cleanup } = await openBenchDatabase();
  try {
    const { key } = await seed(url, 200, 2_000);
    // One key at 300 requests/s: per-key rate limits would answer 429, so they are off here.
    const logFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'keygate-soak-')), 'server.log');
    const server = await startServerProcess('ours', productionEnv(url, { RATE_LIMITS_ENABLED: 'false' }), logFile);
    const memory = async (): Promise<Memory> => server.call<Memory>('stats');
    const samples: { at: number; memory: Memory }[] = [{ at: 0, memory: await memory() }];
    const started = Date.now();
    const sampler = setInterval(() => void memory().then((m) => samples.push({ at: (Date.now() - started) / 1000, memory: m })), 1_000);

    const gql = (query: string) => ({
      method: 'POST' as const,
      path: '/graphql',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ query }),
    });
    let n = 0;
    const result = await new Promise<autocannon.Result>((resolve, reject) =>
      autocannon(
        {
          url: `http://127.0.0.1:${server.port}`,
          connections: 8,
          overallRate: RATE,
          duration: SECONDS,
          requests: [
            gql('{ viewer { kind organization { name } } }'),
            gql('{ apiKeys(first: 20) { nodes { id name createdBy { name } requestCount } } }'),
            gql('{ shortLinks(first: 20) { nodes { slug url domain { hostname } clicks } } }'),
            { method: 'GET', path: '/b1' },
            {
              ...gql(''),
              setupRequest: (req) => ({
                ...req,
                body: JSON.stringify({
                  query: `mutation { createApiKey(input: { name: "soak ${n++}", permissions: { stats: [read] } }) { apiKey { id } } }`,
                }),
              }),
              onResponse: (_status, body, context) => {
                try {
                  (context as Record<string, unknown>).keyId = JSON.parse(body).data?.createApiKey?.apiKey?.id;
                } catch {
                  (context as Record<string, unknown>).keyId = undefined;
                }
              },
            },
            {
              ...gql(''),
              setupRequest: (req, context) => ({
                ...req,
                body: JSON.stringify({
                  query: 'mutation($id: ID!) { revokeApiKey(id: $id) { status } }',
                  variables: { id: (context as Record<string, unknown>).keyId ?? '00000000-0000-4000-8000-000000000000' },
                }),
              }),
            },
          ],
        },
        (error, r) => (error ? reject(error) : resolve(r)),
      ),
    );
    clearInterval(sampler);
    samples.push({ at: (Date.now() - started) / 1000, memory: await memory() });
    await server.stop();

    const afterWarmup = samples.find((s) => s.at >= WARMUP_SECONDS)?.memory ?? samples[0].memory;
    const end = samples.at(-1)!.memory;
    const growth = (end.rss - afterWarmup.rss) / afterWarmup.rss;
    const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
    const fiveXX = r5xx(result);
    const ok = fiveXX === 0 && growth < 0.1;
    const report = [
      '# Soak results',
      '',
      `Run with \`npm run soak\` on ${new Date().toISOString().slice(0, 10)}: ${os.cpus()[0]?.model}, ${os.cpus().length} cores, Node ${process.version}.`,
      `${SECONDS} s at a fixed ${RATE} requests/s over 8 connections against the server process on the embedded PostgreSQL;`,
      'each connection cycles: viewer, apiKeys(first: 20), shortLinks(first: 20), a redirect, createApiKey, revokeApiKey.',
      '',
      '| measure | value |',
      '|---|---:|',
      `| requests | ${result.requests.total} |`,
      `| 2xx / 3xx | ${result['2xx']} / ${result['3xx'] ?? 0} |`,
      `| 5xx | ${fiveXX} |`,
      `| p50 / p99 latency | ${result.latency.p50} ms / ${result.latency.p99} ms |`,
      `| RSS at start / after ${WARMUP_SECONDS} s warm-up / at end | ${mb(samples[0].memory.rss)} / ${mb(afterWarmup.rss)} / ${mb(end.rss)} |`,
      `| heap used at start / after warm-up / at end | ${mb(samples[0].memory.heapUsed)} / ${mb(afterWarmup.heapUsed)} / ${mb(end.heapUsed)} |`,
      `| RSS growth after warm-up | ${(growth * 100).toFixed(1)}% (limit 10%) |`,
      '',
      ok ? 'Verdict: pass.' : 'Verdict: FAIL.',
      '',
    ].join('\n');
    console.log(report);
    writeFileSync(path.join(__dirname, 'SOAK.md'), report);
    if (!ok) process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

function r5xx(r: autocannon.Result): number {
  return (r as unknown as { '5xx': number })['5xx'] ?? 0;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
