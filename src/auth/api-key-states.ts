/**
 * What kind of key, and which state it is in. Authentication decides with these; the api-keys
 * module stores them and shows them as GraphQL enums.
 */
export enum ApiKeyType {
  USER = 'USER',
  BOT = 'BOT',
}

/** EXPIRED is never stored: it is derived from `expiresAt` at read time. */
export enum ApiKeyStatus {
  ACTIVE = 'ACTIVE',
  INACTIVE = 'INACTIVE',
  REVOKED = 'REVOKED',
  EXPIRED = 'EXPIRED',
}

export type StoredApiKeyStatus = ApiKeyStatus.ACTIVE | ApiKeyStatus.INACTIVE | ApiKeyStatus.REVOKED;
