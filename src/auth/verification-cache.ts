import { LRUCache } from 'lru-cache';
import type { ApiKeyType } from './api-key-states';
import type { Plan } from '../kernel/plans';
import type { PermissionMask } from '../kernel/permissions';
import type { Role } from '../kernel/access';

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
  private readonly known: LRUCache<string, Entry>;
  private readonly unknown: LRUCache<string, Entry>;
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
    this.known = new LRUCache<string, Entry>({ max: options.maxEntries, ttl: options.ttlMs });
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
    if (entry === 'unknown') this.unknown.set(hash, UNKNOWN);
    else this.known.set(hash, entry);
  }

  apply(change: AuthInvalidation): void {
    this.epochCounter++;
    if (change.kind === 'all') {
      this.clear();
      return;
    }
    for (const [hash, entry] of this.known.entries()) {
      if (entry === UNKNOWN) continue;
      const hit =
        (change.kind === 'key' && entry.keyId === change.keyId) ||
        (change.kind === 'org' && entry.orgId === change.orgId) ||
        (change.kind === 'member' && entry.orgId === change.orgId && entry.ownerUserId === change.userId);
      if (hit) this.known.delete(hash);
    }
  }

  clear(): void {
    this.epochCounter++;
    this.known.clear();
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
}
