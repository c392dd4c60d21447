import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Seals secrets that keygate must be able to read back (webhook signing secrets) with
 * AES-256-GCM, so a copy of the database alone does not reveal them. The authentication tag
 * makes any tampering, or the wrong key, an error instead of garbage.
 */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('SecretBox needs a 32-byte key');
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join(':');
  }

  open(sealed: string): string {
    const [version, iv, tag, ciphertext] = sealed.split(':');
    if (version !== 'v1' || !iv || !tag || ciphertext === undefined) throw new Error('Not a sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  }
}

function parseKey(text: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (key.length !== 32) throw new Error('ENCRYPTION_KEY must be 32 bytes: 64 hex characters, or base64/base64url of 32 bytes.');
  return key;
}

/**
 * ENCRYPTION_KEY, or outside production a key generated on first start and kept in DATA_DIR
 * (0600). Production refuses to start without one (config.ts) rather than invent it.
 */
export async function resolveEncryptionKey(opts: { encryptionKey?: string; dataDir: string; isProduction: boolean }): Promise<Buffer> {
  if (opts.encryptionKey) return parseKey(opts.encryptionKey);
  if (opts.isProduction) throw new Error('ENCRYPTION_KEY is required in production.');
  const file = path.join(opts.dataDir, 'encryption-key');
  if (!existsSync(file)) {
    await fs.mkdir(opts.dataDir, { recursive: true });
    await fs.writeFile(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' }).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
  }
  return parseKey(await fs.readFile(file, 'utf8'));
}
