import type { AccessModel } from './access';
import { AppError, ForbiddenError } from './errors';
import type { PermissionMask, Scope } from './permissions';

/**
 * Per-object capabilities, GitHub-style (`viewerCan { rotate }`): what the caller may do to an
 * object now, with the reason for every "no". A rule returns the error its mutation would throw,
 * or null; the mutation enforces that same function, so the console's disabled buttons and the
 * API can never disagree.
 */
export type Refusal = AppError | null;

/** The rules for one kind of object, bound to a caller and the object: one per action. */
export type BoundRules<A extends string> = Record<A, () => Refusal>;

/** What a mutation does with its rule: refuse exactly as the capability says. */
export function enforce(refusal: Refusal): void {
  if (refusal) throw refusal;
}

/** The first refusal among checks, in order (scope first, then the object's state, then rules). */
export function firstRefusal(...checks: (() => Refusal)[]): Refusal {
  for (const check of checks) {
    const refusal = check();
    if (refusal) return refusal;
  }
  return null;
}

/** A check that refuses (FORBIDDEN, `required: [scope]`) unless `held` includes the scope. */
export function needsScope(access: AccessModel, held: PermissionMask, scope: Scope): () => Refusal {
  return () => (access.holds(held, access.maskFromScopes([scope])) ? null : new ForbiddenError({ required: [scope] }));
}

/** Rules that are only scopes: each action needs one scope. */
export function scopeRules<A extends string>(access: AccessModel, held: PermissionMask, scopes: Record<A, Scope>): BoundRules<A> {
  const rules = {} as BoundRules<A>;
  for (const action of Object.keys(scopes) as A[]) rules[action] = needsScope(access, held, scopes[action]);
  return rules;
}

export interface CapabilityRefusal {
  action: string;
  reason: string;
  code: string;
  required: string[];
  rule: string | null;
}

export type Capabilities<A extends string> = Record<A, boolean> & { reasons: CapabilityRefusal[] };

/** Runs every rule and reports the answers, with a reason for each refusal. */
export function evaluateCapabilities<A extends string>(rules: BoundRules<A>): Capabilities<A> {
  const reasons: CapabilityRefusal[] = [];
  const answers = {} as Record<A, boolean>;
  for (const action of Object.keys(rules) as A[]) {
    const refusal = rules[action]();
    answers[action] = refusal === null;
    if (refusal) {
      const extensions = refusal.extensions as { required?: string[]; rule?: string };
      reasons.push({
        action,
        reason: refusal.message,
        code: refusal.code,
        required: extensions.required ?? [],
        rule: extensions.rule ?? null,
      });
    }
  }
  return { ...answers, reasons };
}
