import { z } from 'zod';
import { ConfigError } from './values';

const text = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
const url = text.pipe(z.string().url().optional());

/** The environment variables of sign-in through an OpenID Connect provider. */
export const oidcEnv = {
  /** The provider's issuer URL; its discovery document gives the signing keys and endpoints. */
  OIDC_ISSUER: url,
  OIDC_CLIENT_ID: text,
  OIDC_CLIENT_SECRET: text,
  /** The `aud` bearer tokens must carry; the client id when unset. */
  OIDC_AUDIENCE: text,
  OIDC_REDIRECT_URL: url,
  OIDC_SCOPES: z.string().default('openid email profile'),
  OIDC_EMAIL_CLAIM: z.string().default('email'),
  OIDC_EMAIL_VERIFIED_CLAIM: z.string().default('email_verified'),
  OIDC_NAME_CLAIM: z.string().default('name'),
  OIDC_ORG_CLAIM: z.string().default('org'),
  /** Older names, still read: a JWKS URL instead of discovery, the issuer and the audience. */
  JWKS_URL: url,
  JWT_ISSUER: text,
  JWT_AUDIENCE: text,
};

type OidcEnv = z.infer<z.ZodObject<typeof oidcEnv>>;

export interface OidcConfig {
  issuer?: string;
  /** Overrides discovery's `jwks_uri` (JWKS_URL). */
  jwksUrl?: string;
  audience?: string;
  /** The console's authorization-code sign-in; absent when no client is configured. */
  client?: { id: string; secret?: string; redirectUrl: string; scopes: string };
  claims: { email: string; emailVerified: string; name: string; org: string };
}

export function oidcConfig(e: OidcEnv, publicUrl: string): OidcConfig {
  const issuer = e.OIDC_ISSUER ?? e.JWT_ISSUER;
  if (e.JWKS_URL && !issuer) {
    throw new ConfigError(
      'Invalid environment:\n  JWKS_URL: set OIDC_ISSUER (or JWT_ISSUER) too: tokens are mapped to users by (issuer, subject).',
    );
  }
  if (e.OIDC_CLIENT_ID && !issuer) throw new ConfigError('Invalid environment:\n  OIDC_CLIENT_ID: set OIDC_ISSUER too.');
  const audience = e.OIDC_AUDIENCE ?? e.JWT_AUDIENCE ?? e.OIDC_CLIENT_ID;
  // Without an audience every token the provider signed, for any application, would be a keygate
  // session: an app that receives a person's token could replay it here.
  if (issuer && !audience) {
    throw new ConfigError(
      'Invalid environment:\n  OIDC_AUDIENCE: set it (or OIDC_CLIENT_ID, its default) with OIDC_ISSUER: tokens are accepted only for this audience.',
    );
  }
  return {
    issuer,
    jwksUrl: e.JWKS_URL,
    audience,
    client: e.OIDC_CLIENT_ID
      ? {
          id: e.OIDC_CLIENT_ID,
          secret: e.OIDC_CLIENT_SECRET,
          redirectUrl: e.OIDC_REDIRECT_URL ?? `${publicUrl}/console/auth/oidc/callback`,
          scopes: e.OIDC_SCOPES,
        }
      : undefined,
    claims: { email: e.OIDC_EMAIL_CLAIM, emailVerified: e.OIDC_EMAIL_VERIFIED_CLAIM, name: e.OIDC_NAME_CLAIM, org: e.OIDC_ORG_CLAIM },
  };
}
