import { z } from 'zod';
import { oidcConfig, oidcEnv, type OidcConfig } from './oidc';
import { bool, ConfigError, listOf, optionalString } from './values';

/** Keys, sessions, the identity provider and the verification cache. */
export const authEnv = {
  SESSION_SECRET: optionalString.pipe(z.string().min(32, 'SESSION_SECRET must be at least 32 characters').optional()),
  /** Secrets session tokens may still be signed with, comma-separated: verified, never used to sign (a rotation). */
  SESSION_SECRET_PREVIOUS: optionalString,
  ...oidcEnv,
  /** How long a console sign-in lasts. */
  CONSOLE_SESSION_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(300)
    .max(31 * 24 * 3600)
    .default(12 * 3600),
  SESSION_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(31 * 24 * 3600)
    .default(12 * 3600),
  API_KEY_PREFIX: z
    .string()
    .regex(/^[a-z][a-z0-9]{0,9}_(?:[a-z0-9]{1,10}_)?$/, 'API_KEY_PREFIX must look like "sk_live_" (lowercase, ending in "_")')
    .default('sk_live_'),
  VERIFICATION_CACHE_ENABLED: bool(true),
  VERIFICATION_CACHE_SIZE: z.coerce.number().int().min(1).max(10_000_000).default(100_000),
  VERIFICATION_CACHE_TTL_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .default(10 * 60_000),
  PRINT_BOOTSTRAP_KEY: z.enum(['true', 'false', '1', '0', 'yes', 'no']).optional(),
};

type AuthEnv = z.infer<z.ZodObject<typeof authEnv>>;

export interface AuthConfig {
  session: {
    /** HS256 secret; undefined when only a provider is used or the dev secret must be generated. */
    secret?: string;
    /** Earlier secrets, still accepted to verify a token while a rotation is under way. */
    previousSecrets: string[];
    ttlSeconds: number;
    /** Console (browser) sign-ins. */
    consoleTtlSeconds: number;
  };
  /** Sign-in through an OpenID Connect provider (bearer tokens and the console). */
  oidc: OidcConfig;
  apiKeyPrefix: string;
  verificationCache: { enabled: boolean; maxEntries: number; ttlMs: number };
  /**
   * Print the first-start bootstrap key (to stderr, never through the logger). Off in
   * production unless PRINT_BOOTSTRAP_KEY=true; without it no bootstrap key is created there.
   */
  printBootstrapKey: boolean;
}

export function authConfig(e: AuthEnv, where: { isProduction: boolean; publicUrl: string }): AuthConfig {
  // A production server must never invent its own signing secret: sessions would silently
  // stop verifying on the next instance or restart.
  if (where.isProduction && !e.SESSION_SECRET && !e.OIDC_ISSUER && !e.JWT_ISSUER) {
    throw new ConfigError(
      'NODE_ENV=production needs SESSION_SECRET (HS256, at least 32 characters) or OIDC_ISSUER to verify session tokens. ' +
        'Set one of them and start again.',
    );
  }
  const previousSecrets = listOf(e.SESSION_SECRET_PREVIOUS);
  if (previousSecrets.some((secret) => secret.length < 32)) {
    throw new ConfigError('Invalid environment:\n  SESSION_SECRET_PREVIOUS: each secret must be at least 32 characters');
  }
  return {
    session: {
      secret: e.SESSION_SECRET,
      previousSecrets,
      ttlSeconds: e.SESSION_TTL_SECONDS,
      consoleTtlSeconds: e.CONSOLE_SESSION_TTL_SECONDS,
    },
    oidc: oidcConfig(e, where.publicUrl),
    apiKeyPrefix: e.API_KEY_PREFIX,
    verificationCache: { enabled: e.VERIFICATION_CACHE_ENABLED, maxEntries: e.VERIFICATION_CACHE_SIZE, ttlMs: e.VERIFICATION_CACHE_TTL_MS },
    printBootstrapKey: e.PRINT_BOOTSTRAP_KEY === undefined ? !where.isProduction : ['true', '1', 'yes'].includes(e.PRINT_BOOTSTRAP_KEY),
  };
}
