/**
 * Measures the verification cache at scale: heap per entry and the time of one invalidation.
 * Run with `node --expose-gc --require ts-node/register/transpile-only scripts/cache-footprint.ts [entries]`.
 * Entries look like production ones: SHA-256 hex hashes, uuid ids, 100 organisations.
 */
import { createHash, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { VerificationCache, type VerifiedSecret } from '../src/auth/verification-cache';
import { Plan } from '../src/kernel/plans';
import { Role } from '../src/kernel/access';

const n = Number(process.argv[2] ?? 100_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const orgs = Array.from({ length: 100 }, () => randomUUID());
const users = Array.from({ length: 1_000 }, () => randomUUID());
const entry = (i: number): VerifiedSecret => ({
  secretId: randomUUID(),
  keyId: randomUUID(),
  orgId: orgs[i % orgs.length],
  keyType: (i % 2 ? 'USER' : 'BOT') as never,
  ownerUserId: i % 2 ? users[i % users.length] : null,
  ownerRole: i % 2 ? Role.MEMBER : null,
  granted: 0x3fffn as never,
  status: 'ACTIVE',
  deleted: false,
  keyExpiresAt: null,
  secretEndsAt: null,
  plan: Plan.TEAM,
  rateLimitPerMinute: null,
  displayName: `key number ${i} (sk_live_abcd)`,
});

// The cache keeps its own copy of each entry, so everything it holds is measured together:
// the verdict, its hash, the LRU slot and the three invalidation indexes. Only 200 key ids are
// kept outside it (to time invalidations).
gc();
const before = process.memoryUsage().heapUsed;
const buffersBefore = process.memoryUsage().arrayBuffers;
const cache = new VerificationCache({ maxEntries: n, ttlMs: 600_000, maxUnknown: 10_000, unknownTtlMs: 10_000 });
cache.enable();
const sampled: string[] = [];
for (let i = 0; i < n; i++) {
  const e = entry(i);
  if (i % Math.max(1, Math.floor(n / 200)) === 0 && sampled.length < 200) sampled.push(e.keyId);
  cache.set(createHash('sha256').update(`secret ${i}`).digest('hex'), e, cache.epoch);
}
gc();
const perEntry = Math.round((process.memoryUsage().heapUsed - before) / n);
// The LRU's typed arrays (slot links, TTL clocks) live outside the heap.
const buffersPerEntry = Math.round((process.memoryUsage().arrayBuffers - buffersBefore) / n);

const times: number[] = [];
for (let i = 0; i < 200; i++) {
  const keyId = sampled[i % sampled.length];
  const t0 = performance.now();
  cache.apply({ kind: 'key', keyId });
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const orgTimes = orgs.slice(0, 9).map((orgId) => {
  const t0 = performance.now();
  cache.apply({ kind: 'org', orgId });
  return performance.now() - t0;
});
orgTimes.sort((a, b) => a - b);

console.log(
  JSON.stringify({
    entries: n,
    bytesPerEntry: perEntry,
    arrayBufferBytesPerEntry: buffersPerEntry,
    for1MEntries: `${((perEntry * 1_000_000) / 2 ** 20).toFixed(0)} MB heap + ${((buffersPerEntry * 1_000_000) / 2 ** 20).toFixed(0)} MB buffers`,
    keyInvalidationMs: { p50: times[100].toFixed(4), max: times[199].toFixed(4) },
    orgInvalidationMs: { entries: n / orgs.length, p50: orgTimes[4].toFixed(2), max: orgTimes[8].toFixed(2) },
    size: cache.size,
  }),
);
