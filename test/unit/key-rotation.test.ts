import { randomBytes } from 'node:crypto';
import { SessionTokens } from '../../src/auth/session-tokens';
import { ConfigError, loadConfig } from '../../src/kernel/config';
import { SecretBox } from '../../src/modules/webhooks/secret-box';

/** Rotating ENCRYPTION_KEY and SESSION_SECRET with their *_PREVIOUS lists (docs/operations.md). */
const oldKey = randomBytes(32);
const newKey = randomBytes(32);

describe('SecretBox with previous keys', () => {
  it('opens what a previous key sealed, seals only with the current key', () => {
    const sealedOld = new SecretBox(oldKey).seal('whsec_one');
    const rotating = new SecretBox(newKey, [oldKey]);
    expect(rotating.open(sealedOld)).toBe('whsec_one');
    const sealedNew = rotating.seal('whsec_two');
    expect(new SecretBox(newKey).open(sealedNew)).toBe('whsec_two');
    expect(() => new SecretBox(oldKey).open(sealedNew)).toThrow('failed authentication');
  });

  it('reseal: the same secret under the current key, or null when it already is', () => {
    const rotating = new SecretBox(newKey, [oldKey]);
    const resealed = rotating.reseal(new SecretBox(oldKey).seal('whsec_one'))!;
    expect(new SecretBox(newKey).open(resealed)).toBe('whsec_one');
    expect(rotating.reseal(resealed)).toBeNull();
    expect(() => rotating.reseal(new SecretBox(randomBytes(32)).seal('x'))).toThrow('failed authentication');
  });
});

describe('SessionTokens with previous secrets', () => {
  const oldSecret = 'o'.repeat(40);
  const newSecret = 'n'.repeat(40);

  it('verifies a token signed with a previous secret, signs with the current one', async () => {
    const oldToken = await new SessionTokens({ secret: oldSecret, ttlSeconds: 60 }).sign({ userId: 'u1', orgId: 'o1' });
    const rotating = new SessionTokens({ secret: newSecret, previousSecrets: [oldSecret], ttlSeconds: 60 });
    await expect(rotating.verify(oldToken)).resolves.toEqual({ kind: 'keygate', userId: 'u1', orgId: 'o1' });
    await expect(new SessionTokens({ secret: newSecret, ttlSeconds: 60 }).verify(oldToken)).rejects.toThrow(
      'signature verification failed',
    );
    const newToken = await rotating.sign({ userId: 'u2', orgId: null });
    await expect(new SessionTokens({ secret: newSecret, ttlSeconds: 60 }).verify(newToken)).resolves.toMatchObject({ userId: 'u2' });
  });

  it('an expired token stays refused, whichever secret signed it', async () => {
    const expired = await new SessionTokens({ secret: oldSecret, ttlSeconds: 60 }).sign({ userId: 'u1', orgId: 'o1' }, -10);
    const rotating = new SessionTokens({ secret: newSecret, previousSecrets: [oldSecret], ttlSeconds: 60 });
    await expect(rotating.verify(expired)).rejects.toThrow('"exp" claim timestamp check failed');
  });

  it('config: each SESSION_SECRET_PREVIOUS is at least 32 characters; the lists are comma-separated', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', SESSION_SECRET: newSecret, SESSION_SECRET_PREVIOUS: `${oldSecret}, short` })).toThrow(
      ConfigError,
    );
    const config = loadConfig({
      NODE_ENV: 'test',
      SESSION_SECRET: newSecret,
      SESSION_SECRET_PREVIOUS: ` ${oldSecret} `,
      ENCRYPTION_KEY: newKey.toString('hex'),
      ENCRYPTION_KEY_PREVIOUS: `${oldKey.toString('hex')},${'ab'.repeat(32)}`,
    });
    expect(config.session.previousSecrets).toEqual([oldSecret]);
    expect(config.previousEncryptionKeys).toEqual([oldKey.toString('hex'), 'ab'.repeat(32)]);
  });
});
