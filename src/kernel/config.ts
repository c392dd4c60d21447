import { z } from 'zod';
import { authConfig, authEnv, type AuthConfig } from './config/auth';
import { databaseConfig, databaseEnv, type DatabaseConfig } from './config/database';
import { observabilityConfig, observabilityEnv, type ObservabilityConfig } from './config/observability';
import { requestsConfig, requestsEnv, type RequestsConfig } from './config/requests';
import { serverConfig, serverEnv, type ServerConfig } from './config/server';
import { ConfigError } from './config/values';
import { webhooksConfig, webhooksEnv, type WebhooksConfig } from './config/webhooks';

/**
 * Every environment variable keygate reads is parsed here, once, so a typo or a bad value stops
 * the process at start-up with a message instead of surfacing as odd behaviour later. Each
 * concern declares its variables and builds its part of the configuration in `config/<concern>.ts`.
 */
const envSchema = z.object({ ...serverEnv, ...databaseEnv, ...authEnv, ...webhooksEnv, ...requestsEnv, ...observabilityEnv });

export type Env = z.infer<typeof envSchema>;
export type { DatabaseTimeouts } from './config/database';
export { ConfigError };

export type Config = ServerConfig & DatabaseConfig & AuthConfig & WebhooksConfig & RequestsConfig & ObservabilityConfig;

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid environment:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const server = serverConfig(e);
  return {
    ...server,
    ...databaseConfig(e),
    ...authConfig(e, server),
    ...webhooksConfig(e, server),
    ...requestsConfig(e),
    ...observabilityConfig(e, server),
  };
}
