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

gc();
const start = process.memoryUsage().heapUsed;
const orgs = Array.from({ length: 100 }, () => randomUUID());
const users = Array.from({ length: 1_000 }, () => randomUUID());
const hashes = Array.from({ length: n }, (_, i) => createHash('sha256').update(`secret ${i}`).digest('hex'));
const entries: VerifiedSecret[] = hashes.map((_, i) => ({
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
}));

// Measured apart: the hashes and entry objects (what a lookup creates anyway), then what the
// cache adds per entry (LRU slots, its map, and the three invalidation indexes).
gc();
const before = process.memoryUsage().heapUsed;
const cache = new VerificationCache({ maxEntries: n, ttlMs: 600_000, maxUnknown: 10_000, unknownTtlMs: 10_000 });
cache.enable();
for (let i = 0; i < n; i++) cache.set(hashes[i], entries[i], cache.epoch);
gc();
const structures = process.memoryUsage().heapUsed - before;

const times: number[] = [];
for (let i = 0; i < 200; i++) {
  const keyId = entries[(i * 7919) % n].keyId;
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
    entryBytes: Math.round((before - start) / n),
    cacheBytesPerEntry: Math.round(structures / n),
    keyInvalidationMs: { p50: times[100].toFixed(4), max: times[199].toFixed(4) },
    orgInvalidationMs: { entries: n / orgs.length, p50: orgTimes[4].toFixed(2), max: orgTimes[8].toFixed(2) },
    size: cache.size,
  }),
);
