import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticate, Authenticator } from '../auth/authenticator';
import { hasCredentials } from '../auth/credentials';
import type { Principal } from '../auth/principal';
import { AppError, AuthFailureReason, RateLimitedError, ServiceUnavailableError, UnauthenticatedError } from '../kernel/errors';
import { isDatabaseUnavailable } from '../db/errors';
import type { UsageRecorder } from '../modules/api-keys/usage-recorder';
import type { RequestRateLimiter } from './rate-limits';

/**
 * Failures that mean someone tried a credential of the right shape: these feed the failed-auth
 * throttle. Missing and malformed credentials cost keygate nothing (no hashing, no SQL) and
 * cannot be guessed into a working key, so they do not push an IP towards it.
 */
const COUNTED_FAILURES = new Set<AuthFailureReason>([
  AuthFailureReason.UNKNOWN,
  AuthFailureReason.REVOKED,
  AuthFailureReason.INACTIVE,
  AuthFailureReason.EXPIRED,
  AuthFailureReason.ROTATED,
  AuthFailureReason.OWNER_REMOVED,
  AuthFailureReason.INVALID_SESSION,
]);

export interface RequestPolicyDeps {
  authenticator: Authenticator;
  /** Replaces credential checking entirely (the benchmark's no-auth baseline). */
  authenticate?: Authenticate;
  rateLimiter: RequestRateLimiter | null;
  usage: UsageRecorder;
}

/**
 * The one place a request becomes a principal: credentials → failed-auth throttle → principal →
 * rate limit → usage. What the principal may then run is decided on the resolved document
 * (graphql/authorization/authorization.plugin.ts), never here: this only says who is asking.
 */
export class RequestPolicy {
  constructor(private readonly deps: RequestPolicyDeps) {}

  /** The request's principal, or null when it carries no credentials at all. */
  async principalFor(request: FastifyRequest, reply: FastifyReply): Promise<Principal | null> {
    const { authenticator, rateLimiter, usage } = this.deps;
    if (this.deps.authenticate) return this.deps.authenticate(request.headers, request.cookies);
    if (!hasCredentials(request.headers, request.cookies)) return null;
    const credentials = authenticator.credentials(request.headers, request.cookies);

    // An IP that keeps failing is turned away before any hashing or SQL, so keys cannot be
    // guessed at speed; credentials that verify without the database still pass, so one bad
    // client behind a shared IP (an office, a proxy) does not lock everyone else out.
    const blockedFor = rateLimiter?.failedAuthRetryAfter(request.ip);
    if (blockedFor && !(await authenticator.verifiesWithoutDatabase(credentials))) {
      reply.header('retry-after', String(blockedFor));
      throw new RateLimitedError(
        blockedFor,
        'Too many failed authentication attempts from this address; retry after the time in Retry-After.',
      );
    }

    let principal: Principal;
    try {
      principal = await authenticator.authenticateCredentials(credentials);
    } catch (error) {
      if (error instanceof UnauthenticatedError) {
        // The public answer names only the reason; the cause (never a credential) is for operators.
        if (error.detail) request.log.info({ reason: error.reason, cause: error.detail }, 'authentication refused');
        if (COUNTED_FAILURES.has(error.reason)) await rateLimiter?.recordFailedAuth(request.ip);
      }
      if (error instanceof AppError) throw error;
      if (isDatabaseUnavailable(error)) throw new ServiceUnavailableError();
      throw error;
    }

    if (rateLimiter) {
      const rate = await rateLimiter.consume(principal);
      reply.header('x-ratelimit-limit', String(rate.limit));
      reply.header('x-ratelimit-remaining', String(rate.remaining));
      reply.header('x-ratelimit-reset', String(rate.resetAt));
      if (!rate.allowed) {
        reply.header('retry-after', String(rate.retryAfterSeconds));
        throw new RateLimitedError(rate.retryAfterSeconds);
      }
    }
    // Counted once admitted: a request refused for its rate is not usage.
    if (principal.kind === 'API_KEY') usage.record(principal.keyId);
    return principal;
  }
}
