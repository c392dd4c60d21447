import type Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Principal } from '../auth/principal';
import { Plan, PLAN_RATE_LIMITS } from '../kernel/plans';

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

/** Above every limit a key or plan can have (MAX_KEY_RATE_LIMIT is 100,000). */
const MAX_COUNTED = 1_000_000_000;

/**
 * Per-key request limits and a failed-authentication throttle per IP. With Redis the counters
 * are shared by every instance; each Redis limiter is insured by an in-process one, which
 * rate-limiter-flexible uses for any call Redis cannot answer, so an outage degrades to
 * per-instance limiting rather than to no limiting (or to errors).
 *
 * One counter per subject whatever its limit: the limit is compared with the count, not built
 * into the counter, so changing a key's limit (or its organization's plan) keeps the count of
 * the current window instead of starting a fresh one.
 */
export class RequestRateLimiter {
  private readonly requests: RateLimiterAbstract;
  private readonly failedAuth: RateLimiterAbstract;

  constructor(
    private readonly redis: Redis | null,
    private readonly prefix = 'keygate:',
  ) {
    // The counter itself never refuses: no limit is above MAX_COUNTED.
    this.requests = this.make(MAX_COUNTED, 'rl');
    this.failedAuth = this.make(FAILED_AUTH_PER_MINUTE, 'authfail');
  }

  limitFor(principal: Principal): number {
    const plan = PLAN_RATE_LIMITS[principal.plan] ?? PLAN_RATE_LIMITS[Plan.FREE];
    const own = principal.kind === 'API_KEY' ? principal.rateLimitPerMinute : null;
    return own !== null && own < plan ? own : plan;
  }

  async consume(principal: Principal): Promise<RateDecision> {
    const limit = this.limitFor(principal);
    const subject = principal.kind === 'API_KEY' ? `key:${principal.keyId}` : `user:${principal.orgId}:${principal.userId}`;
    let res: RateLimiterRes;
    try {
      res = await this.requests.consume(subject);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      res = rejection;
    }
    return {
      allowed: res.consumedPoints <= limit,
      limit,
      remaining: Math.max(0, limit - res.consumedPoints),
      resetAt: Math.ceil((Date.now() + res.msBeforeNext) / 1000),
      retryAfterSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
    };
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
