import net from 'node:net';
import { z } from 'zod';
import { ConfigError, optionalString } from './values';

/** What an operator watches: the Prometheus listener (docs/metrics.md). */
export const observabilityEnv = {
  /** The metrics listener's port; unset: no metrics at all (nothing is recorded). 0 picks a free port (tests). */
  METRICS_PORT: optionalString.pipe(z.coerce.number().int().min(0).max(65535).optional()),
  METRICS_HOST: optionalString,
};

type ObservabilityEnv = z.infer<z.ZodObject<typeof observabilityEnv>>;

export interface ObservabilityConfig {
  /**
   * `/metrics` in Prometheus format on a listener of its own, never on the public port; null
   * when METRICS_PORT is unset. Loopback unless METRICS_HOST says otherwise.
   */
  metrics: { host: string; port: number } | null;
}

export function observabilityConfig(e: ObservabilityEnv, server: { port: number }): ObservabilityConfig {
  if (e.METRICS_HOST !== undefined && net.isIP(e.METRICS_HOST) === 0 && e.METRICS_HOST !== 'localhost') {
    throw new ConfigError(`Invalid environment:\n  METRICS_HOST: "${e.METRICS_HOST}" is not an IP address (such as 127.0.0.1 or 0.0.0.0)`);
  }
  if (e.METRICS_PORT === undefined) return { metrics: null };
  if (e.METRICS_PORT !== 0 && e.METRICS_PORT === server.port) {
    throw new ConfigError('Invalid environment:\n  METRICS_PORT: must differ from PORT; metrics are never served on the public port');
  }
  return { metrics: { host: e.METRICS_HOST ?? '127.0.0.1', port: e.METRICS_PORT } };
}
