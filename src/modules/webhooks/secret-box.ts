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
  private readonly previous: Buffer[];

  /** `previous`: keys a secret may still be sealed with during a rotation; opened with, never sealed with. */
  constructor(key: Buffer, previous: readonly Buffer[] = []) {
    for (const k of [key, ...previous]) {
      if (!Buffer.isBuffer(k) || k.length !== KEY_BYTES) throw new Error(`SecretBox needs ${KEY_BYTES}-byte keys`);
    }
    this.key = Buffer.from(key);
    this.previous = previous.map((k) => Buffer.from(k));
  }

  seal(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join(':');
  }

  /** Throws when `sealed` is malformed, was tampered with, or was sealed with none of this box's keys. */
  open(sealed: string): string {
    return this.openWith(sealed).plaintext;
  }

  /**
   * The same secret sealed with the current key when it was sealed with a previous one, else null
   * (already current). A rotation re-seals every stored secret this way: receivers keep their secret.
   */
  reseal(sealed: string): string | null {
    const { plaintext, current } = this.openWith(sealed);
    return current ? null : this.seal(plaintext);
  }

  private openWith(sealed: string): { plaintext: string; current: boolean } {
    const parts = sealed.split(':');
    if (parts.length !== 4 || parts[0] !== VERSION || !parts.slice(1).every((p) => B64URL.test(p))) {
      throw new Error('Not a sealed secret (expected v1:<iv>:<tag>:<ciphertext>)');
    }
    const iv = Buffer.from(parts[1], 'base64url');
    const tag = Buffer.from(parts[2], 'base64url');
    const ciphertext = Buffer.from(parts[3], 'base64url');
    // A fixed tag length: GCM would otherwise accept a truncated tag, which is far easier to forge.
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error('Not a sealed secret (bad IV or tag length)');
    for (const key of [this.key, ...this.previous]) {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAuthTag(tag);
      try {
        const plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
        return { plaintext, current: key === this.key };
      } catch {
        // Not this key (or tampered with): the next one, if any.
      }
    }
    throw new Error('Sealed secret failed authentication: it was tampered with or sealed with another key');
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

/** The box of a configuration: ENCRYPTION_KEY (or the development key) to seal, ENCRYPTION_KEY_PREVIOUS also to open. */
export async function secretBoxFor(config: {
  encryptionKey?: string;
  previousEncryptionKeys: string[];
  dataDir: string;
  isProduction: boolean;
}): Promise<SecretBox> {
  const { encryptionKey, dataDir, isProduction } = config;
  return new SecretBox(
    await resolveEncryptionKey({ encryptionKey, dataDir, isProduction }),
    config.previousEncryptionKeys.map((key, i) => parseEncryptionKey(key, `ENCRYPTION_KEY_PREVIOUS (item ${i + 1})`)),
  );
}
