import Redis from 'ioredis';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../kernel/config';
import { watchRedis } from './redis-heartbeat';

/**
 * Redis for shared rate-limit counters and the usage and click journal. No offline queue: while Redis is away, calls fail at once
 * and the limiter's in-process insurance answers; the outage and the recovery are logged once each.
 * A command that gets no answer in time fails too, and a heartbeat that misses its PONG drops the
 * connection, so a silent partition costs at most one command timeout before calls fail at once.
 */
export function connectRedis(url: string, bounds: Config['redis'], log: FastifyBaseLogger): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: bounds.connectTimeoutMs,
    commandTimeout: bounds.commandTimeoutMs,
    // A dropped connection's socket is destroyed after this long even if the peer never answers.
    disconnectTimeout: bounds.commandTimeoutMs,
    keepAlive: bounds.heartbeatMs,
    lazyConnect: false,
  });
  watchRedis(redis, bounds.heartbeatMs);
  let down = false;
  redis.on('error', (error: Error) => {
    if (!down)
      log.warn(
        { err: error.message },
        'Redis unreachable; rate limits fall back to in-process counters, usage and clicks to direct flushes',
      );
    down = true;
  });
  redis.on('ready', () => {
    if (down) log.info({}, 'Redis is back; rate limits are shared and usage journalled again');
    down = false;
  });
  return redis;
}
