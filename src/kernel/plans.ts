/** An organization's billing plan. What a plan grants lives here, next to the plan itself. */
export enum Plan {
  FREE = 'FREE',
  STARTER = 'STARTER',
  TEAM = 'TEAM',
  ENTERPRISE = 'ENTERPRISE',
}

/** Requests per minute per key (or per signed-in user), by the organization's plan. */
export const PLAN_RATE_LIMITS: Record<Plan, number> = {
  [Plan.FREE]: 60,
  [Plan.STARTER]: 120,
  [Plan.TEAM]: 300,
  [Plan.ENTERPRISE]: 1000,
};

export function isPlan(value: unknown): value is Plan {
  return typeof value === 'string' && value in PLAN_RATE_LIMITS;
}
