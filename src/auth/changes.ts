import type { DataSource, EntityManager } from 'typeorm';
import type { Authority } from './authority';
import { maskFromScopes, type PermissionMask, type Scope } from './permissions';
import type { Caller } from './principal';

/** PostgreSQL's deadlock_detected and serialization_failure: the transaction may simply run again. */
const TRANSIENT = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 3;

/**
 * Every change a principal makes runs through here: one transaction that first re-confirms the
 * principal's authority (auth/authority.ts) and only then runs the change, so a revocation,
 * removal or demotion that commits first wins. The change receives the caller with its current
 * principal; rules it applies (what may be granted, who is an owner) must use that one.
 *
 * A transaction that loses a deadlock (a principal acting while being removed, say) runs again;
 * the second run sees the winner's result.
 */
export class Changes {
  constructor(
    private readonly dataSource: DataSource,
    private readonly authority: Authority,
  ) {}

  async run<T>(caller: Caller, needed: Scope, change: (m: EntityManager, caller: Caller) => Promise<T>): Promise<T> {
    const mask = maskFromScopes([needed]);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.dataSource.transaction(async (m) => change(m, await this.authority.confirmWithin(m, caller, mask)));
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (attempt < MAX_ATTEMPTS && code && TRANSIENT.has(code)) continue;
        throw error;
      }
    }
  }

  /**
   * For actions that commit nothing but reach outside (a test ping to a webhook endpoint): the
   * authority is confirmed right before acting.
   */
  async confirm(caller: Caller, needed: Scope): Promise<Caller> {
    const mask: PermissionMask = maskFromScopes([needed]);
    return this.dataSource.transaction((m) => this.authority.confirmWithin(m, caller, mask));
  }
}
