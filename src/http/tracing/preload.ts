import { ConfigError, loadConfig } from '../../kernel/config';
import type { Tracing } from './tracing';

/**
 * Imported first by main.ts, before anything requires `pg` or `ioredis`: OpenTelemetry's
 * instrumentations patch a module as it is first required, so tracing must start before the
 * application's modules load. Off (null, nothing registered) unless the environment sets an OTLP
 * endpoint, when the OpenTelemetry SDK is not even loaded. A bad environment is left to main(),
 * which reports it.
 */
export const tracing: Tracing | null = fromEnvironment();

function fromEnvironment(): Tracing | null {
  try {
    const { tracing: options } = loadConfig();
    if (!options) return null;
    // Loaded only when on: the SDK, the exporter and the instrumentations take ~100 ms to require.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { startTracing } = require('./tracing') as typeof import('./tracing');
    return startTracing(options);
  } catch (error) {
    if (error instanceof ConfigError) return null;
    throw error;
  }
}
