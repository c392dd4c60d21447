/** Storage helpers for long-lived caches: flat copies, shared copies, constants. */

/**
 * Strings shared by many entries (organization ids), kept once while any entry holds them:
 * each row read from the database brings its own copy.
 */
export class Interned {
  private readonly held = new Map<string, { value: string; refs: number }>();

  take(value: string): string {
    const found = this.held.get(value);
    if (found) {
      found.refs++;
      return found.value;
    }
    const copy = flat(value);
    this.held.set(copy, { value: copy, refs: 1 });
    return copy;
  }

  drop(value: string): void {
    const found = this.held.get(value);
    if (found && --found.refs === 0) this.held.delete(value);
  }

  clear(): void {
    this.held.clear();
  }
}

/** A few values used by every entry (statuses, plans, roles, permission masks): one copy each, for good. */
export class Constants<T> {
  private readonly held = new Map<T, T>();

  constructor(private readonly max: number) {}

  of(value: T): T {
    const found = this.held.get(value);
    if (found !== undefined) return found;
    if (this.held.size < this.max) this.held.set(value, value);
    return value;
  }
}

/**
 * A flat copy of a string. A concatenation (a display name, a hash built from parts) is a rope
 * of its pieces, which costs several times its characters; the cache keeps none of them, nor
 * anything else of the caller's.
 */
export function flat(value: string): string {
  const copy = Buffer.from(value, 'utf8').toString('utf8');
  return copy === value ? copy : value;
}
