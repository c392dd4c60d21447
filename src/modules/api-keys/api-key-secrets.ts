import type { EntityManager } from 'typeorm';
import type { KeyFormat } from '../../auth/key-format';
import { ApiKeySecret } from './api-key-secret.entity';
import type { ApiKey } from './api-key.entity';

/**
 * A fresh secret for `key`: its display parts go on the key (saved by `save`, which must give
 * the key its id), its SHA-256 in a row of its own. The plaintext is returned, to be shown once.
 */
export async function issueSecret(m: EntityManager, keyFormat: KeyFormat, key: ApiKey, save: () => Promise<unknown>): Promise<string> {
  const generated = keyFormat.generate();
  key.prefix = generated.prefix;
  key.last4 = generated.last4;
  await save();
  await m.insert(ApiKeySecret, {
    apiKeyId: key.id,
    secretHash: generated.hash,
    prefix: generated.prefix,
    last4: generated.last4,
    endsAt: null,
  });
  return generated.secret;
}

/** Ends the keys' secrets at `at` (now for a revocation, later for a rotation's grace period). */
export async function endSecrets(m: EntityManager, keyIds: string[], at: Date): Promise<void> {
  await m
    .createQueryBuilder()
    .update(ApiKeySecret)
    .set({ endsAt: at })
    .where('apiKeyId IN (:...keyIds) AND (endsAt IS NULL OR endsAt > :at)', { keyIds, at })
    .execute();
}
