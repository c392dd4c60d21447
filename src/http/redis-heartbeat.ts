import type Redis from 'ioredis';

/**
 * PINGs Redis every `intervalMs`. A PING that gets no answer within the command timeout means a
 * silent partition (the socket stays open, nothing comes back): the connection is dropped and
 * re-established, and until it is ready again every call fails at once (no offline queue), so
 * the rate limiter's in-process insurance answers without waiting.
 */
export function watchRedis(redis: Redis, intervalMs: number): void {
  const timer = setInterval(() => {
    if (redis.status !== 'ready') return;
    redis.ping().catch(() => {
      if (redis.status === 'ready') redis.disconnect(true);
    });
  }, intervalMs);
  timer.unref();
  redis.once('end', () => clearInterval(timer));
}
