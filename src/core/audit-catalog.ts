import type { PermissionMask, Resource } from '../kernel/permissions';
import type { AccessModel } from '../kernel/access';

/**
 * What a module writes to the audit log: the target type of its events, the resource whose read
 * scope reading them needs, and each action with the webhook event type it is emitted as.
 */
export interface AuditDefinition<A extends string = string> {
  targetType: string;
  resource: Resource;
  /** Action → webhook event type, e.g. `SHORT_LINK_CREATED: 'shortLink.created'`. */
  actions: Readonly<Record<A, string>>;
}

export function defineAudit<const A extends string>(definition: AuditDefinition<A>): AuditDefinition<A> {
  return definition;
}

/** The ping a test delivery sends; it belongs to no resource. */
export const PING_EVENT = 'ping';

/**
 * Every audit action and webhook event of every module, with the resource each belongs to.
 * Reading an event — in the audit log or as a webhook delivery — needs read on that resource,
 * exactly as reading its target does.
 */
export class AuditCatalog {
  private readonly byAction = new Map<string, { definition: AuditDefinition; event: string }>();
  private readonly resourceOfEvent = new Map<string, Resource | null>([[PING_EVENT, null]]);
  readonly definitions: readonly AuditDefinition[];

  constructor(
    definitions: readonly AuditDefinition[],
    private readonly access: AccessModel,
  ) {
    this.definitions = definitions;
    for (const definition of definitions) {
      for (const [action, event] of Object.entries<string>(definition.actions)) {
        if (this.byAction.has(action)) throw new Error(`Audit action ${action} is declared twice`);
        this.byAction.set(action, { definition, event });
        const known = this.resourceOfEvent.get(event);
        if (known !== undefined && known !== definition.resource) throw new Error(`Event ${event} belongs to two resources`);
        this.resourceOfEvent.set(event, definition.resource);
      }
    }
  }

  /** Every event a webhook may subscribe to, the ping included. */
  get eventTypes(): string[] {
    return [...this.resourceOfEvent.keys()].filter((e) => e !== PING_EVENT).concat(PING_EVENT);
  }

  definitionOf(action: string): { definition: AuditDefinition; event: string } {
    const found = this.byAction.get(action);
    if (!found) throw new Error(`Audit action ${action} is not declared by any module`);
    return found;
  }

  /** The resource an event belongs to; null for the ping, undefined for an unknown event. */
  resourceOf(event: string): Resource | null | undefined {
    return this.resourceOfEvent.get(event);
  }

  /** The read scopes a subscription to these events needs, as one mask. */
  readNeededFor(events: readonly string[]): PermissionMask {
    let mask = 0n;
    for (const event of events) {
      const resource = this.resourceOfEvent.get(event);
      if (resource) mask |= this.access.bit(resource, 'read');
    }
    return mask;
  }

  /** The target types whose events a reader holding `held` may read. */
  readableTargetTypes(held: PermissionMask): string[] {
    return this.definitions.filter((d) => this.access.holds(held, this.access.bit(d.resource, 'read'))).map((d) => d.targetType);
  }
}
