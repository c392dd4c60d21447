import type Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Principal } from '../auth/principal';
import { Plan } from '../modules/organizations/organization.entity';

/** Requests per minute per key (or per signed-in user), by the organization's plan. */
export const PLAN_RATE_LIMITS: Record<Plan, number> = {
  [Plan.FREE]: 60,
  [Plan.STARTER]: 120,
  [Plan.TEAM]: 300,
  [Plan.ENTERPRISE]: 1000,
};

/** Failed authentications allowed per client IP per minute before answering 429 outright. */
export const FAILED_AUTH_PER_MINUTE = 30;

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Unix seconds when the window resets. */
  resetAt: number;
  retryAfterSeconds: number;
}

function decision(limit: number, res: RateLimiterRes, allowed: boolean): RateDecision {
  return {
    allowed,
    limit,
    remaining: Math.max(0, res.remainingPoints),
    resetAt: Math.ceil((Date.now() + res.msBeforeNext) / 1000),
    retryAfterSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
  };
}

/**
 * Per-key request limits and a failed-authentication throttle per IP. With Redis the counters
 * are shared by every instance; each Redis limiter is insured by an in-process one, which
 * rate-limiter-flexible uses for any call Redis cannot answer, so an outage degrades to
 * per-instance limiting rather than to no limiting (or to errors).
 */
export class RequestRateLimiter {
  private readonly limiters = new Map<number, RateLimiterAbstract>();
  private readonly failedAuth: RateLimiterAbstract;

  constructor(
    private readonly redis: Redis | null,
    private readonly prefix = 'keygate:',
  ) {
    this.failedAuth = this.make(FAILED_AUTH_PER_MINUTE, 'authfail');
  }

  limitFor(principal: Principal): number {
    const plan = PLAN_RATE_LIMITS[principal.plan] ?? PLAN_RATE_LIMITS[Plan.FREE];
    const own = principal.kind === 'API_KEY' ? principal.rateLimitPerMinute : null;
    return own !== null && own < plan ? own : plan;
  }

  async consume(principal: Principal): Promise<RateDecision> {
    const limit = this.limitFor(principal);
    let limiter = this.limiters.get(limit);
    if (!limiter) {
      limiter = this.make(limit, `rl${limit}`);
      this.limiters.set(limit, limiter);
    }
    const subject = principal.kind === 'API_KEY' ? `key:${principal.keyId}` : `user:${principal.orgId}:${principal.userId}`;
    try {
      return decision(limit, await limiter.consume(subject), true);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return decision(limit, rejection, false);
      throw rejection;
    }
  }

  /** Seconds to wait when this IP has failed authentication too often, else null. No hashing, no SQL. */
  async failedAuthRetryAfter(ip: string): Promise<number | null> {
    const res = await this.failedAuth.get(ip);
    if (!res || res.consumedPoints < FAILED_AUTH_PER_MINUTE) return null;
    return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  }

  async recordFailedAuth(ip: string): Promise<void> {
    await this.failedAuth.penalty(ip, 1);
  }

  private make(points: number, name: string): RateLimiterAbstract {
    const keyPrefix = `${this.prefix}${name}`;
    const memory = new RateLimiterMemory({ points, duration: 60, keyPrefix });
    if (!this.redis) return memory;
    return new RateLimiterRedis({ storeClient: this.redis, points, duration: 60, keyPrefix, insuranceLimiter: memory });
  }
}
