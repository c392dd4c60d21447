import { z } from 'zod';
import { parseRetrySchedule } from '../retry-schedule';
import { bool, ConfigError, listOf, optionalString } from './values';

/** Webhook deliveries, their queue workers, and the key that seals their signing secrets. */
export const webhooksEnv = {
  ENCRYPTION_KEY: optionalString,
  /** Keys secrets may still be sealed with, comma-separated: read, never used to seal (a rotation). */
  ENCRYPTION_KEY_PREVIOUS: optionalString,
  WEBHOOK_RETRY_SCHEDULE: z.string().default('30s,2m,10m,1h,6h,12h'),
  WEBHOOK_MAX_CONSECUTIVE_FAILURES: z.coerce.number().int().min(1).max(10_000).default(20),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  WEBHOOKS_ALLOW_PRIVATE: bool(false),
  WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).default(10),
  WEBHOOK_CONCURRENCY_PER_ENDPOINT: z.coerce.number().int().min(1).max(1_000).default(2),
  WEBHOOK_CONCURRENCY_PER_ORGANIZATION: z.coerce.number().int().min(1).max(1_000).default(5),
  JOBS_ENABLED: bool(true),
};

type WebhooksEnv = z.infer<z.ZodObject<typeof webhooksEnv>>;

export interface WebhooksConfig {
  /** Seals webhook signing secrets at rest; generated under DATA_DIR outside production. */
  encryptionKey?: string;
  /** Earlier keys, still accepted to open a sealed secret while a rotation is under way. */
  previousEncryptionKeys: string[];
  webhooks: {
    /** Delays in ms before attempts 2, 3, …. */
    retrySchedule: number[];
    maxConsecutiveFailures: number;
    timeoutMs: number;
    /** Deliveries in flight per process, per endpoint and per organization. */
    concurrency: { total: number; perEndpoint: number; perOrganization: number };
    /** Lifts the SSRF guard for loopback and private ranges (never for link-local/metadata). */
    allowPrivate: boolean;
  };
  /** Runs the webhook queue workers, the outbox dispatcher and the expiry check in this process. */
  jobsEnabled: boolean;
}

export function webhooksConfig(e: WebhooksEnv, where: { isProduction: boolean }): WebhooksConfig {
  if (where.isProduction && !e.ENCRYPTION_KEY) {
    throw new ConfigError(
      'NODE_ENV=production needs ENCRYPTION_KEY (32 bytes as 64 hex characters or base64) to seal webhook signing secrets. ' +
        'Generate one with `openssl rand -hex 32`.',
    );
  }
  let retrySchedule: number[];
  try {
    retrySchedule = parseRetrySchedule(e.WEBHOOK_RETRY_SCHEDULE);
  } catch (error) {
    throw new ConfigError(`Invalid environment:\n  WEBHOOK_RETRY_SCHEDULE: ${(error as Error).message}`);
  }
  return {
    encryptionKey: e.ENCRYPTION_KEY,
    previousEncryptionKeys: listOf(e.ENCRYPTION_KEY_PREVIOUS),
    webhooks: {
      retrySchedule,
      maxConsecutiveFailures: e.WEBHOOK_MAX_CONSECUTIVE_FAILURES,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      concurrency: {
        total: e.WEBHOOK_CONCURRENCY,
        perEndpoint: e.WEBHOOK_CONCURRENCY_PER_ENDPOINT,
        perOrganization: e.WEBHOOK_CONCURRENCY_PER_ORGANIZATION,
      },
      allowPrivate: e.WEBHOOKS_ALLOW_PRIVATE,
    },
    jobsEnabled: e.JOBS_ENABLED,
  };
}
