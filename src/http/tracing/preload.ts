import { ConfigError, loadConfig } from '../../kernel/config';
import { startTracing, type Tracing } from './tracing';

/**
 * Imported first by main.ts, before anything requires `pg` or `ioredis`: OpenTelemetry's
 * instrumentations patch a module as it is first required, so tracing must start before the
 * application's modules load. Off (null, nothing registered) unless the environment sets an OTLP
 * endpoint. A bad environment is left to main(), which reports it.
 */
export const tracing: Tracing | null = fromEnvironment();

function fromEnvironment(): Tracing | null {
  try {
    const { tracing: options } = loadConfig();
    return options ? startTracing(options) : null;
  } catch (error) {
    if (error instanceof ConfigError) return null;
    throw error;
  }
}
