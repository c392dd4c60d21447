import net from 'node:net';
import { z } from 'zod';
import { ConfigError, optionalString } from './values';

/** OTLP/HTTP goes to an http(s) URL, such as http://collector:4318. */
const httpUrl = z.string().regex(/^https?:\/\/[^/?#\s]+/i, 'must be an http(s) URL such as http://collector:4318');

/** What an operator watches: the Prometheus listener (docs/metrics.md). */
export const observabilityEnv = {
  /** The metrics listener's port; unset: no metrics at all (nothing is recorded). 0 picks a free port (tests). */
  METRICS_PORT: optionalString.pipe(z.coerce.number().int().min(0).max(65535).optional()),
  METRICS_HOST: optionalString,
  /** OpenTelemetry's own variables: traces go to `<endpoint>/v1/traces`, or to the traces endpoint as it is. */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalString.pipe(httpUrl.optional()),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalString.pipe(httpUrl.optional()),
  OTEL_SERVICE_NAME: optionalString,
};

type ObservabilityEnv = z.infer<z.ZodObject<typeof observabilityEnv>>;

export interface ObservabilityConfig {
  /**
   * `/metrics` in Prometheus format on a listener of its own, never on the public port; null
   * when METRICS_PORT is unset. Loopback unless METRICS_HOST says otherwise.
   */
  metrics: { host: string; port: number } | null;
  /**
   * Traces exported over OTLP/HTTP (docs/traces.md): the URL spans are POSTed to, and the
   * `service.name` they carry; null (nothing registered, nothing recorded) when neither
   * OTEL_EXPORTER_OTLP_ENDPOINT nor OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set.
   */
  tracing: { url: string; serviceName: string } | null;
}

export function observabilityConfig(e: ObservabilityEnv, server: { port: number }): ObservabilityConfig {
  if (e.METRICS_HOST !== undefined && net.isIP(e.METRICS_HOST) === 0 && e.METRICS_HOST !== 'localhost') {
    throw new ConfigError(`Invalid environment:\n  METRICS_HOST: "${e.METRICS_HOST}" is not an IP address (such as 127.0.0.1 or 0.0.0.0)`);
  }
  const tracing = tracingConfig(e);
  if (e.METRICS_PORT === undefined) return { metrics: null, tracing };
  if (e.METRICS_PORT !== 0 && e.METRICS_PORT === server.port) {
    throw new ConfigError('Invalid environment:\n  METRICS_PORT: must differ from PORT; metrics are never served on the public port');
  }
  return { metrics: { host: e.METRICS_HOST ?? '127.0.0.1', port: e.METRICS_PORT }, tracing };
}

/** As the OTLP exporter specification reads them: the signal's own endpoint wins, used as it is. */
function tracingConfig(e: ObservabilityEnv): ObservabilityConfig['tracing'] {
  const url =
    e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (e.OTEL_EXPORTER_OTLP_ENDPOINT && `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '')}/v1/traces`);
  return url ? { url, serviceName: e.OTEL_SERVICE_NAME ?? 'keygate' } : null;
}
