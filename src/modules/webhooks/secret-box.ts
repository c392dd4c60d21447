import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const B64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Seals secrets that keygate must be able to read back (webhook signing secrets) with
 * AES-256-GCM, so a copy of the database alone does not reveal them. The authentication tag
 * makes any tampering, or the wrong key, an error instead of garbage.
 *
 * Format: `v1:<iv b64url>:<tag b64url>:<ciphertext b64url>`, a fresh random 12-byte IV each time.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) throw new Error(`SecretBox needs a ${KEY_BYTES}-byte key`);
    this.key = Buffer.from(key);
  }

  seal(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join(':');
  }

  /** Throws when `sealed` is malformed, was tampered with, or was sealed with another key. */
  open(sealed: string): string {
    const parts = sealed.split(':');
    if (parts.length !== 4 || parts[0] !== VERSION || !parts.slice(1).every((p) => B64URL.test(p))) {
      throw new Error('Not a sealed secret (expected v1:<iv>:<tag>:<ciphertext>)');
    }
    const iv = Buffer.from(parts[1], 'base64url');
    const tag = Buffer.from(parts[2], 'base64url');
    const ciphertext = Buffer.from(parts[3], 'base64url');
    // A fixed tag length: GCM would otherwise accept a truncated tag, which is far easier to forge.
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error('Not a sealed secret (bad IV or tag length)');
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch {
      throw new Error('Sealed secret failed authentication: it was tampered with or sealed with another key');
    }
  }
}

/**
 * ENCRYPTION_KEY text → 32 bytes: 64 hex characters, or standard or URL-safe base64 (padding
 * optional). Strict on purpose: Buffer.from(…, 'base64') skips characters it does not know.
 */
export function parseEncryptionKey(text: string, source = 'ENCRYPTION_KEY'): Buffer {
  const t = text.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-f]{64}$/i.test(t)) key = Buffer.from(t, 'hex');
  else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(t) && t.length % 4 !== 1) key = Buffer.from(t, 'base64');
  if (!key || key.length !== KEY_BYTES) {
    throw new Error(`${source} must be 32 bytes written as 64 hex characters or as base64/base64url (e.g. \`openssl rand -hex 32\`).`);
  }
  return key;
}

/**
 * ENCRYPTION_KEY, or outside production a key generated on first start and kept in
 * `<dataDir>/encryption-key` (mode 0600) so sealed secrets survive restarts. Production refuses
 * to run without one rather than invent a key that the next instance would not have.
 */
export async function resolveEncryptionKey(opts: { encryptionKey?: string; dataDir: string; isProduction: boolean }): Promise<Buffer> {
  if (opts.encryptionKey !== undefined && opts.encryptionKey.trim() !== '') return parseEncryptionKey(opts.encryptionKey);
  if (opts.isProduction) {
    throw new Error('ENCRYPTION_KEY is required in production (32 bytes as 64 hex characters or base64; `openssl rand -hex 32`).');
  }
  const file = path.join(opts.dataDir, 'encryption-key');
  const describe = `The development key in ${file}`;
  const existing = await fs.readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (existing !== undefined) return parseEncryptionKey(existing, describe);
  await fs.mkdir(opts.dataDir, { recursive: true });
  // Written whole to a private temporary file, then linked into place: link() fails if the key
  // already exists, so two processes starting together agree on one key, and neither can read a
  // half-written file.
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await fs.writeFile(tmp, `${randomBytes(KEY_BYTES).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await fs.link(tmp, file).catch((e: NodeJS.ErrnoException) => {
      // Filesystems without hard links: an exclusive copy (keeps the 0600 mode) is the fallback.
      if (e.code === 'EPERM' || e.code === 'ENOTSUP' || e.code === 'ENOSYS') return fs.copyFile(tmp, file, fsConstants.COPYFILE_EXCL);
      throw e;
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    await fs.rm(tmp, { force: true });
  }
  return parseEncryptionKey(await fs.readFile(file, 'utf8'), describe);
}
