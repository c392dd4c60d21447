import { LRUCache } from 'lru-cache';
import type { ApiKeyType } from './api-key-states';
import type { Plan } from '../kernel/plans';
import type { PermissionMask } from '../kernel/permissions';
import type { Role } from '../kernel/access';
import { Constants, flat, Interned } from './compact-strings';

/** Everything authentication needs about one secret: enough to decide without a query. */
export interface VerifiedSecret {
  secretId: string;
  keyId: string;
  orgId: string;
  keyType: ApiKeyType;
  ownerUserId: string | null;
  ownerRole: Role | null;
  granted: PermissionMask;
  status: 'ACTIVE' | 'INACTIVE' | 'REVOKED';
  deleted: boolean;
  keyExpiresAt: number | null;
  secretEndsAt: number | null;
  plan: Plan;
  rateLimitPerMinute: number | null;
  displayName: string;
}

/** What changed; sent on the invalidation channel and applied by every instance. */
export type AuthInvalidation =
  { kind: 'key'; keyId: string } | { kind: 'member'; orgId: string; userId: string } | { kind: 'org'; orgId: string } | { kind: 'all' };

const UNKNOWN = Symbol('unknown key');
type Entry = VerifiedSecret | typeof UNKNOWN;

export interface VerificationCacheOptions {
  maxEntries: number;
  /** Safety net only: invalidation, not expiry, is what keeps entries correct. */
  ttlMs: number;
  maxUnknown: number;
  unknownTtlMs: number;
  /** For tests: the clock the TTLs are measured on. */
  clock?: { now(): number };
}

/**
 * A multimap from a key, organisation or member to the hashes cached for it. Most ids have one
 * hash (a key outside a rotation), so that hash is stored bare and a Set made only for a second:
 * it halves what the indexes cost per entry.
 */
class HashIndex {
  private readonly map = new Map<string, string | Set<string>>();

  add(id: string, hash: string): void {
    const held = this.map.get(id);
    if (held === undefined) this.map.set(id, hash);
    else if (typeof held !== 'string') held.add(hash);
    else if (held !== hash) this.map.set(id, new Set([held, hash]));
  }

  remove(id: string, hash: string): void {
    const held = this.map.get(id);
    if (held === undefined) return;
    if (typeof held === 'string') {
      if (held === hash) this.map.delete(id);
      return;
    }
    held.delete(hash);
    if (held.size === 0) this.map.delete(id);
  }

  /** The hashes under `id`, copied: deleting them from the LRU edits this index as it goes. */
  hashes(id: string): string[] {
    const held = this.map.get(id);
    return held === undefined ? [] : typeof held === 'string' ? [held] : [...held];
  }

  clear(): void {
    this.map.clear();
  }

  /** Ids indexed, and hashes over all of them. */
  get sizes(): { ids: number; hashes: number } {
    let hashes = 0;
    for (const held of this.map.values()) hashes += typeof held === 'string' ? 1 : held.size;
    return { ids: this.map.size, hashes };
  }
}

/**
 * In-process LRU of verified secrets, keyed by the secret's SHA-256. Correctness comes from
 * invalidation (PostgreSQL NOTIFY, applied by every instance), so the cache is usable only while
 * the invalidation listener is connected: `usable` is false until it is, and again whenever the
 * connection drops, and then every request goes to the database.
 *
 * A lookup that started before an invalidation must not store what it read: `epoch` counts
 * invalidations, and `set` refuses an entry read under an older epoch.
 */
export class VerificationCache {
  private readonly known: LRUCache<string, VerifiedSecret>;
  private readonly unknown: LRUCache<string, Entry>;
  /**
   * Secondary indexes so an invalidation touches only the entries it names, not the whole cache
   * (a full scan took 75 ms at 100k entries, on every instance, at every revoke). Kept in step
   * with the LRU by its `dispose` callback, so eviction and expiry cannot leave hashes behind.
   */
  private readonly byKey = new HashIndex();
  private readonly byOrg = new HashIndex();
  /** By owner user id (the organization is checked on invalidation): no composite key per entry. */
  private readonly byMember = new HashIndex();
  private readonly orgIds = new Interned();
  private readonly words = new Constants<string | null>(256);
  private readonly masks = new Constants<PermissionMask>(4_096);
  private epochCounter = 0;
  private enabled = false;
  /**
   * Set by the invalidation listener: false while its heartbeat echo is overdue. Checked on
   * every lookup, so a silent partition stops cache answers as soon as the echo is late, not at
   * the next timer tick.
   */
  isLive: () => boolean = () => true;
  hits = 0;
  misses = 0;

  constructor(options: VerificationCacheOptions) {
    this.known = new LRUCache<string, VerifiedSecret>({
      max: options.maxEntries,
      ttl: options.ttlMs,
      // A test clock is read on every check, not through the LRU's 1 ms cached "now".
      ...(options.clock && { perf: options.clock, ttlResolution: 0 }),
      dispose: (entry, hash) => this.unindex(hash, entry),
    });
    this.unknown = new LRUCache<string, Entry>({ max: options.maxUnknown, ttl: options.unknownTtlMs });
  }

  /** Answers come from memory only while the invalidation listener is connected and hears itself. */
  get usable(): boolean {
    return this.enabled && this.isLive();
  }

  get epoch(): number {
    return this.epochCounter;
  }

  /** The cached verdict for a hash: an entry, 'unknown', or undefined (ask the database). */
  get(hash: string): VerifiedSecret | 'unknown' | undefined {
    if (!this.usable) return undefined;
    const entry = this.known.get(hash) ?? this.unknown.get(hash);
    if (entry === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return entry === UNKNOWN ? 'unknown' : entry;
  }

  set(hash: string, entry: VerifiedSecret | 'unknown', readAtEpoch: number): void {
    if (!this.usable || readAtEpoch !== this.epochCounter) return;
    if (entry === 'unknown') {
      this.unknown.set(hash, UNKNOWN);
      return;
    }
    const stored = this.compact(entry);
    const key = flat(hash);
    // Replacing a hash disposes (unindexes) its old entry inside `set`, so index afterwards.
    this.known.set(key, stored);
    this.byKey.add(stored.keyId, key);
    this.byOrg.add(stored.orgId, key);
    if (stored.ownerUserId) this.byMember.add(stored.ownerUserId, key);
  }

  /**
   * The cache's own copy of an entry, as small as it goes (about 0.5 KB with its key and index
   * slots, measured by bench/scale.ts): flat strings, one copy of each organization id while
   * cached, one of each status, plan, role and permission mask; one object of one shape.
   */
  private compact(e: VerifiedSecret): VerifiedSecret {
    const w = this.words;
    return {
      secretId: flat(e.secretId),
      keyId: flat(e.keyId),
      orgId: this.orgIds.take(e.orgId),
      keyType: w.of(e.keyType) as VerifiedSecret['keyType'],
      ownerUserId: e.ownerUserId === null ? null : flat(e.ownerUserId),
      ownerRole: w.of(e.ownerRole) as VerifiedSecret['ownerRole'],
      granted: this.masks.of(e.granted),
      status: w.of(e.status) as VerifiedSecret['status'],
      deleted: e.deleted,
      keyExpiresAt: e.keyExpiresAt,
      secretEndsAt: e.secretEndsAt,
      plan: w.of(e.plan) as VerifiedSecret['plan'],
      rateLimitPerMinute: e.rateLimitPerMinute,
      displayName: flat(e.displayName),
    };
  }

  private unindex(hash: string, entry: VerifiedSecret): void {
    this.byKey.remove(entry.keyId, hash);
    this.byOrg.remove(entry.orgId, hash);
    if (entry.ownerUserId) this.byMember.remove(entry.ownerUserId, hash);
    this.orgIds.drop(entry.orgId);
  }

  apply(change: AuthInvalidation): void {
    this.epochCounter++;
    if (change.kind === 'all') {
      this.clear();
      return;
    }
    const hashes =
      change.kind === 'key'
        ? this.byKey.hashes(change.keyId)
        : change.kind === 'org'
          ? this.byOrg.hashes(change.orgId)
          : this.byMember.hashes(change.userId).filter((h) => this.known.peek(h, { allowStale: true })?.orgId === change.orgId);
    for (const hash of hashes) this.known.delete(hash);
  }

  clear(): void {
    this.epochCounter++;
    // Indexes first, so the LRU's dispose calls during `clear` find nothing left to edit.
    this.byKey.clear();
    this.byOrg.clear();
    this.byMember.clear();
    this.known.clear();
    this.orgIds.clear();
    this.unknown.clear();
  }

  /** The listener is down: stop answering from memory until it is back and the cache is empty. */
  disable(): void {
    this.enabled = false;
    this.clear();
  }

  enable(): void {
    this.clear();
    this.enabled = true;
  }

  get size(): number {
    return this.known.size + this.unknown.size;
  }

  /** How much the invalidation indexes hold; for tests that prove they do not leak. */
  get indexSizes(): { keys: number; orgs: number; members: number; hashes: number } {
    const key = this.byKey.sizes;
    return { keys: key.ids, orgs: this.byOrg.sizes.ids, members: this.byMember.sizes.ids, hashes: key.hashes };
  }

  /** Drops entries whose TTL has passed (the LRU otherwise drops them only when it meets them). */
  purgeStale(): void {
    this.known.purgeStale();
    this.unknown.purgeStale();
  }
}
