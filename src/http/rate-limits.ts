import type Redis from 'ioredis';
import type { Principal } from '../auth/principal';
import { WindowCounters } from './window-counters';
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

const WINDOW_MS = 60_000;

/**
 * Per-key request limits and a failed-authentication throttle per IP, counted per minute from a
 * subject's first request.
 * With Redis the counts are shared by every instance without a round trip per request (see
 * WindowCounters for how, and how far a key can overshoot across instances); without it, or
 * while it is unreachable, each instance limits on its own counts — never not at all.
 *
 * One counter per subject whatever its limit: the limit is compared with the count, not built
 * into the counter, so changing a key's limit (or its organization's plan) keeps the count of
 * the current window instead of starting a fresh one.
 */
export class RequestRateLimiter {
  private readonly requests: WindowCounters;
  private readonly failedAuth: WindowCounters;

  constructor(redis: Redis | null, prefix = 'keygate:', options: { syncIntervalMs?: number } = {}) {
    const syncIntervalMs = options.syncIntervalMs ?? 100;
    this.requests = new WindowCounters(redis, `${prefix}rl:`, { windowMs: WINDOW_MS, syncIntervalMs });
    this.failedAuth = new WindowCounters(redis, `${prefix}authfail:`, { windowMs: WINDOW_MS, syncIntervalMs });
  }

  limitFor(principal: Principal): number {
    const plan = PLAN_RATE_LIMITS[principal.plan] ?? PLAN_RATE_LIMITS[Plan.FREE];
    const own = principal.kind === 'API_KEY' ? principal.rateLimitPerMinute : null;
    return own !== null && own < plan ? own : plan;
  }

  async consume(principal: Principal): Promise<RateDecision> {
    const limit = this.limitFor(principal);
    const subject = principal.kind === 'API_KEY' ? `key:${principal.keyId}` : `user:${principal.orgId}:${principal.userId}`;
    const { count, resetAtMs } = await this.requests.hit(subject);
    return {
      allowed: count <= limit,
      limit,
      remaining: Math.max(0, limit - count),
      resetAt: Math.ceil(resetAtMs / 1000),
      retryAfterSeconds: Math.max(1, Math.ceil((resetAtMs - Date.now()) / 1000)),
    };
  }

  /**
   * Seconds to wait when this IP has failed authentication too often, else null. No hashing, no
   * SQL, no round trip: this instance's view, which learns the other instances' failures for an
   * IP whenever that IP fails here (so spreading guesses over N instances gains at most one
   * guess per instance per minute).
   */
  failedAuthRetryAfter(ip: string): number | null {
    const { count, resetAtMs } = this.failedAuth.peek(ip);
    if (count < FAILED_AUTH_PER_MINUTE) return null;
    return Math.max(1, Math.ceil((resetAtMs - Date.now()) / 1000));
  }

  async recordFailedAuth(ip: string): Promise<void> {
    await this.failedAuth.hit(ip);
  }

  /** Sends pending counts now (tests; shutdown). */
  async sync(): Promise<void> {
    await Promise.all([this.requests.sync(), this.failedAuth.sync()]);
  }

  stop(): void {
    this.requests.stop();
    this.failedAuth.stop();
  }
}
