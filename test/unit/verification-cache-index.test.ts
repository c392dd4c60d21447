import { VerificationCache, type VerifiedSecret } from '../../src/auth/verification-cache';
import { Role } from '../../src/kernel/access';
import { Plan } from '../../src/kernel/plans';

/** A clock the test moves by hand, so TTL expiry needs no waiting. */
class ManualClock {
  t = 1_000;
  now(): number {
    return this.t;
  }
}

function secret(hash: string, keyId: string, orgId: string, ownerUserId: string | null = null): VerifiedSecret {
  return {
    secretId: `s-${hash}`,
    keyId,
    orgId,
    keyType: (ownerUserId ? 'USER' : 'BOT') as never,
    ownerUserId,
    ownerRole: ownerUserId ? Role.ADMIN : null,
    granted: 1n as never,
    status: 'ACTIVE',
    deleted: false,
    keyExpiresAt: null,
    secretEndsAt: null,
    plan: Plan.FREE,
    rateLimitPerMinute: null,
    displayName: hash,
  };
}

function makeCache(maxEntries = 100, clock = new ManualClock()): VerificationCache {
  const cache = new VerificationCache({ maxEntries, ttlMs: 10_000, maxUnknown: 10, unknownTtlMs: 1_000, clock });
  cache.enable();
  return cache;
}

function put(cache: VerificationCache, entry: VerifiedSecret, hash = entry.displayName): void {
  cache.set(hash, entry, cache.epoch);
}

const cached = (cache: VerificationCache, hashes: string[]) => hashes.filter((h) => cache.get(h) !== undefined);

describe('verification cache invalidation indexes', () => {
  it('a key invalidation evicts every secret of that key and nothing else', () => {
    const cache = makeCache();
    put(cache, secret('a1', 'key-a', 'org-1'));
    put(cache, secret('a2', 'key-a', 'org-1')); // the previous secret in a rotation grace period
    put(cache, secret('b1', 'key-b', 'org-1'));
    put(cache, secret('c1', 'key-c', 'org-2'));
    cache.apply({ kind: 'key', keyId: 'key-a' });
    expect(cached(cache, ['a1', 'a2', 'b1', 'c1'])).toEqual(['b1', 'c1']);
    expect(cache.indexSizes).toEqual({ keys: 2, orgs: 2, members: 0, hashes: 2 });
  });

  it('an organisation invalidation evicts that organisation’s entries only', () => {
    const cache = makeCache();
    put(cache, secret('a1', 'key-a', 'org-1', 'user-1'));
    put(cache, secret('b1', 'key-b', 'org-1'));
    put(cache, secret('c1', 'key-c', 'org-2', 'user-1'));
    cache.apply({ kind: 'org', orgId: 'org-1' });
    expect(cached(cache, ['a1', 'b1', 'c1'])).toEqual(['c1']);
    expect(cache.indexSizes).toEqual({ keys: 1, orgs: 1, members: 1, hashes: 1 });
  });

  it('a member invalidation evicts only that user’s keys in that organisation', () => {
    const cache = makeCache();
    put(cache, secret('u1', 'key-u1', 'org-1', 'user-1'));
    put(cache, secret('u1b', 'key-u1b', 'org-1', 'user-1'));
    put(cache, secret('u2', 'key-u2', 'org-1', 'user-2'));
    put(cache, secret('bot', 'key-bot', 'org-1'));
    put(cache, secret('other-org', 'key-x', 'org-2', 'user-1'));
    cache.apply({ kind: 'member', orgId: 'org-1', userId: 'user-1' });
    expect(cached(cache, ['u1', 'u1b', 'u2', 'bot', 'other-org'])).toEqual(['u2', 'bot', 'other-org']);
    expect(cache.indexSizes).toEqual({ keys: 3, orgs: 2, members: 2, hashes: 3 });
  });

  it('replacing a hash’s entry moves it in the indexes', () => {
    const cache = makeCache();
    put(cache, secret('h', 'key-a', 'org-1', 'user-1'));
    put(cache, secret('h', 'key-b', 'org-2'));
    expect(cache.indexSizes).toEqual({ keys: 1, orgs: 1, members: 0, hashes: 1 });
    cache.apply({ kind: 'key', keyId: 'key-a' });
    expect(cached(cache, ['h'])).toEqual(['h']);
    cache.apply({ kind: 'key', keyId: 'key-b' });
    expect(cached(cache, ['h'])).toEqual([]);
    expect(cache.indexSizes).toEqual({ keys: 0, orgs: 0, members: 0, hashes: 0 });
  });

  it('LRU eviction takes the evicted hashes out of every index', () => {
    const cache = makeCache(50);
    for (let i = 0; i < 500; i++) put(cache, secret(`h${i}`, `key-${i}`, `org-${i % 7}`, i % 2 ? `user-${i % 5}` : null));
    expect(cache.size).toBe(50);
    const sizes = cache.indexSizes;
    expect(sizes.hashes).toBe(50);
    expect(sizes.keys).toBe(50);
    expect(sizes.orgs).toBe(7);
    // Entries 450..499 are left: odd ones have owners, 5 users (the member index is by user).
    const owned = Array.from({ length: 25 }, (_, j) => 451 + 2 * j);
    expect(sizes.members).toBe(new Set(owned.map((i) => i % 5)).size);
    // A member invalidation takes exactly that user's entries in that organization.
    const hit = owned.filter((i) => i % 7 === 3 && i % 5 === 1);
    cache.apply({ kind: 'member', orgId: 'org-3', userId: 'user-1' });
    expect(cache.size).toBe(50 - hit.length);
    expect(
      cached(
        cache,
        hit.map((i) => `h${i}`),
      ),
    ).toEqual([]);
  });

  it('TTL expiry takes expired hashes out of every index', () => {
    const clock = new ManualClock();
    const cache = makeCache(100, clock);
    for (let i = 0; i < 20; i++) put(cache, secret(`h${i}`, `key-${i}`, 'org-1', 'user-1'));
    clock.t += 5_000;
    put(cache, secret('late', 'key-late', 'org-2'));
    clock.t += 5_001;
    cache.purgeStale();
    expect(cache.indexSizes).toEqual({ keys: 1, orgs: 1, members: 0, hashes: 1 });
    // An expired entry met by a lookup goes the same way.
    clock.t += 10_000;
    expect(cache.get('late')).toBeUndefined();
    expect(cache.indexSizes).toEqual({ keys: 0, orgs: 0, members: 0, hashes: 0 });
  });

  it('clearing and disabling empty the indexes; an "all" invalidation too', () => {
    const cache = makeCache();
    put(cache, secret('a', 'key-a', 'org-1', 'user-1'));
    cache.apply({ kind: 'all' });
    expect(cache.indexSizes).toEqual({ keys: 0, orgs: 0, members: 0, hashes: 0 });
    put(cache, secret('b', 'key-b', 'org-1'));
    cache.disable();
    expect(cache.indexSizes).toEqual({ keys: 0, orgs: 0, members: 0, hashes: 0 });
  });

  it('an invalidation at 100k entries deletes only its own entries', () => {
    const cache = makeCache(100_000);
    for (let i = 0; i < 100_000; i++) put(cache, secret(`h${i}`, `key-${i % 50_000}`, `org-${i % 100}`));
    cache.apply({ kind: 'key', keyId: 'key-7' });
    expect(cache.size).toBe(99_998);
    expect(cached(cache, ['h7', 'h50007', 'h8'])).toEqual(['h8']);
    expect(cache.indexSizes.hashes).toBe(99_998);
  });
});
