import { z } from 'zod';
import { optionalString, parseCorsOrigins, parseTrustProxy } from './values';

/** The process, its address and what it logs. */
export const serverEnv = {
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: optionalString,
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  PUBLIC_URL: optionalString.pipe(z.string().url().optional()),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  /** One line per request (`all`), only for failed or slow ones (`errors`), or none (`off`). */
  ACCESS_LOG: z.enum(['all', 'errors', 'off']).default('errors'),
  CORS_ORIGINS: optionalString,
  TRUST_PROXY: optionalString,
  /** How long SIGTERM keeps serving with /readyz at 503 before the server stops accepting. */
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(300_000).default(0),
  CLICK_COUNTRY_HEADER: optionalString.pipe(
    z
      .string()
      .regex(/^[a-z0-9-]+$/i, 'CLICK_COUNTRY_HEADER must be a header name such as cf-ipcountry')
      .optional(),
  ),
};

type ServerEnv = z.infer<z.ZodObject<typeof serverEnv>>;

export interface ServerConfig {
  env: ServerEnv['NODE_ENV'];
  isProduction: boolean;
  host: string;
  port: number;
  publicUrl: string;
  logLevel: NonNullable<ServerEnv['LOG_LEVEL']>;
  accessLog: ServerEnv['ACCESS_LOG'];
  /** Origins allowed to call the API from a browser: a list, `*`, or none (no CORS headers). */
  corsOrigins: string[] | '*' | null;
  /**
   * Which proxies' X-Forwarded-For to believe for the client IP (Fastify's trustProxy): false
   * (the socket's address), true (any), or a list of addresses, CIDRs and named ranges.
   */
  trustProxy: boolean | string[];
  /** A header set by a trusted proxy (e.g. `cf-ipcountry`) with the client's country. */
  clickCountryHeader?: string;
  /**
   * On SIGTERM, how long to keep serving (with /readyz at 503 and `Connection: close`) before
   * closing: longer than the balancer needs to see the 503 (check interval × failures to go down).
   */
  shutdownDrainMs: number;
}

export function serverConfig(e: ServerEnv): ServerConfig {
  const isProduction = e.NODE_ENV === 'production';
  return {
    env: e.NODE_ENV,
    isProduction,
    host: e.HOST ?? (isProduction ? '0.0.0.0' : '127.0.0.1'),
    port: e.PORT,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ''),
    logLevel: e.LOG_LEVEL ?? (e.NODE_ENV === 'test' ? 'silent' : 'info'),
    accessLog: e.ACCESS_LOG,
    corsOrigins: parseCorsOrigins(e.CORS_ORIGINS),
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    clickCountryHeader: e.CLICK_COUNTRY_HEADER?.toLowerCase(),
    shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
  };
}
