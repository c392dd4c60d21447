import DataLoader from 'dataloader';

/**
 * A DataLoader whose primed values answer at once. A list page primes the rows it read beside its
 * own (a key's owner, its request count, a link's domain: core/list-relations.ts); `get` returns
 * such a value itself instead of a promise, so a field of each row of a page costs no promise, no
 * microtask and no asynchronous step in the executor — per row and field of every list. A key
 * not primed, or asked for before it was primed, is loaded (and answered) as DataLoader would.
 */
export class RequestLoader<K, V> extends DataLoader<K, V> {
  private readonly primed = new Map<K, V>();
  private readonly asked = new Set<K>();

  /** The primed value, or the loader's promise of it. */
  get(key: K): V | Promise<V> {
    return this.primed.has(key) ? (this.primed.get(key) as V) : this.load(key);
  }

  override load(key: K): Promise<V> {
    if (this.primed.has(key)) return Promise.resolve(this.primed.get(key) as V);
    this.asked.add(key);
    return super.load(key);
  }

  /**
   * DataLoader keeps what it has for a key over a later prime; so does this, and an Error primes a
   * rejection. A plain value is kept here only: DataLoader's own prime makes a settled promise per
   * key (150 for a page of 50 keys with three relations), which `get` never reads and `load`
   * makes only when asked.
   */
  override prime(key: K, value: V | PromiseLike<V> | Error): this {
    if (this.asked.has(key) || this.primed.has(key)) return this;
    if (value instanceof Error || isPromiseLike(value)) return super.prime(key, value);
    this.primed.set(key, value);
    return this;
  }

  override clear(key: K): this {
    this.primed.delete(key);
    this.asked.delete(key);
    return super.clear(key);
  }

  override clearAll(): this {
    this.primed.clear();
    this.asked.clear();
    return super.clearAll();
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/** `f(value)` at once for a value, after it for a promise: what a resolver returns from a loader's `get`. */
export function thenOrNow<T, R>(value: T | Promise<T>, f: (value: T) => R): R | Promise<R> {
  return value instanceof Promise ? value.then(f) : f(value);
}
