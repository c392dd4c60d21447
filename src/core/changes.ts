import type { DataSource, EntityManager } from 'typeorm';
import type { AuthInvalidator } from '../auth/auth-invalidation';
import type { Authority } from '../auth/authority';
import type { Caller } from '../auth/principal';
import type { AuthInvalidation } from '../auth/verification-cache';
import type { AccessModel } from '../kernel/access';
import type { Scope } from '../kernel/permissions';
import type { AuditDefinition } from './audit-catalog';
import type { EventRecorder } from './events';

/** PostgreSQL's deadlock_detected and serialization_failure: the transaction may simply run again. */
const TRANSIENT = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 3;

/** What a change may say about its target; the action names its audit definition's event. */
export interface ChangeRecord {
  targetId: string | null;
  targetName: string | null;
  metadata?: Record<string, unknown>;
}

/** One change in progress: its transaction, its current caller, and what it must record. */
export interface Change {
  readonly m: EntityManager;
  /** The caller as it is inside this transaction (re-read, locked against revocation). */
  readonly caller: Caller;
  /** Writes the audit event and its webhook outbox row in this transaction. */
  audit<A extends string>(definition: AuditDefinition<A>, action: A, record: ChangeRecord): Promise<void>;
  /** Tells every instance to forget what it cached about this; delivered only if the change commits. */
  invalidate(change: AuthInvalidation): Promise<void>;
}

/**
 * The one shape of every change a principal makes: one transaction that first re-confirms the
 * principal's authority (auth/authority.ts) and only then runs the change, which records its
 * audit event (+ webhook outbox row) and its cache invalidations through the same transaction.
 * So a revocation, removal or demotion that commits first wins; a change and its event commit
 * together or not at all; and other instances forget what the change made stale.
 *
 * A transaction that loses a deadlock (a principal acting while being removed, say) runs again;
 * the second run sees the winner's result.
 */
export class Changes {
  constructor(
    private readonly dataSource: DataSource,
    private readonly authority: Authority,
    private readonly access: AccessModel,
    private readonly events: EventRecorder,
    private readonly invalidator: AuthInvalidator,
  ) {}

  async run<T>(caller: Caller, needed: Scope, change: (tx: Change) => Promise<T>): Promise<T> {
    const mask = this.access.maskFromScopes([needed]);
    for (let attempt = 1; ; attempt++) {
      try {
        return await (caller.db ?? this.dataSource).transaction(async (m) =>
          change(this.changeIn(m, await this.authority.confirmWithin(m, caller, mask))),
        );
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
    const mask = this.access.maskFromScopes([needed]);
    return (caller.db ?? this.dataSource).transaction((m) => this.authority.confirmWithin(m, caller, mask));
  }

  /** A change inside a transaction someone else opened (the organization bootstrap). */
  changeIn(m: EntityManager, caller: Caller): Change {
    return {
      m,
      caller,
      audit: (definition, action, record) => this.events.record(m, caller, { action, targetType: definition.targetType, ...record }),
      invalidate: (what) => this.invalidator.within(m, what),
    };
  }
}
