import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEncryptionKey, resolveEncryptionKey, SecretBox } from '../../src/modules/webhooks/secret-box';

const SEALED = /^v1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]*$/;

/** Flips one bit of the decoded segment `index` (1 = iv, 2 = tag, 3 = ciphertext). */
function flip(sealed: string, index: number, byte = 0): string {
  const parts = sealed.split(':');
  const bytes = Buffer.from(parts[index], 'base64url');
  bytes[byte] ^= 0x01;
  parts[index] = bytes.toString('base64url');
  return parts.join(':');
}

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32));

  it('seals to v1:<iv>:<tag>:<ciphertext> and opens back to the plaintext', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const sealed = box.seal(secret);
    expect(sealed).toMatch(SEALED);
    expect(sealed).not.toContain(secret);
    expect(sealed).not.toContain('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    expect(box.open(sealed)).toBe(secret);
    expect(Buffer.from(sealed.split(':')[1], 'base64url')).toHaveLength(12);
    expect(Buffer.from(sealed.split(':')[2], 'base64url')).toHaveLength(16);
  });

  it('uses a fresh IV every time, so the same plaintext never seals the same way twice', () => {
    const seals = Array.from({ length: 50 }, () => box.seal('same'));
    expect(new Set(seals).size).toBe(50);
    expect(new Set(seals.map((s) => s.split(':')[1])).size).toBe(50);
    for (const s of seals) expect(box.open(s)).toBe('same');
  });

  it('round-trips the empty string and non-ASCII text', () => {
    expect(box.open(box.seal(''))).toBe('');
    expect(box.open(box.seal('ключ 🔑 clé'))).toBe('ключ 🔑 clé');
  });

  it('refuses any change to the IV, the tag or the ciphertext', () => {
    const sealed = box.seal('whsec_tamper-me');
    expect(() => box.open(flip(sealed, 1))).toThrow('failed authentication');
    expect(() => box.open(flip(sealed, 2))).toThrow('failed authentication');
    expect(() => box.open(flip(sealed, 3))).toThrow('failed authentication');
    expect(() => box.open(flip(sealed, 3, 14))).toThrow('failed authentication');
    expect(box.open(sealed)).toBe('whsec_tamper-me');
  });

  it('refuses a secret sealed with another key', () => {
    const other = new SecretBox(randomBytes(32));
    expect(() => other.open(box.seal('whsec_x'))).toThrow('failed authentication');
  });

  it('refuses a truncated tag instead of accepting a shorter, forgeable one', () => {
    const [v, iv, tag, ct] = box.seal('whsec_x').split(':');
    const short = Buffer.from(tag, 'base64url').subarray(0, 4).toString('base64url');
    expect(() => box.open([v, iv, short, ct].join(':'))).toThrow('bad IV or tag length');
  });

  it.each([
    ['', 'empty'],
    ['v2:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA:AA', 'another version'],
    ['v1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA', 'a missing segment'],
    ['v1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA:AA:AA', 'an extra segment'],
    ['v1:AAAA AAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA:AA', 'a character outside base64url'],
    ['whsec_plaintext', 'plaintext'],
  ])('refuses a malformed value (%j: %s)', (value) => {
    expect(() => box.open(value)).toThrow('Not a sealed secret');
  });

  it('needs a 32-byte key', () => {
    expect(() => new SecretBox(randomBytes(31))).toThrow('32-byte key');
    expect(() => new SecretBox(randomBytes(33))).toThrow('32-byte key');
    expect(() => new SecretBox(Buffer.alloc(0))).toThrow('32-byte key');
  });

  it('keeps its own copy of the key', () => {
    const key = randomBytes(32);
    const kept = new SecretBox(key);
    const sealed = kept.seal('whsec_copy');
    key.fill(0);
    expect(kept.open(sealed)).toBe('whsec_copy');
  });
});

describe('ENCRYPTION_KEY', () => {
  const bytes = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 3));

  it.each([
    ['64 hex characters (lower case)', bytes.toString('hex')],
    ['64 hex characters (upper case)', bytes.toString('hex').toUpperCase()],
    ['base64 with padding', bytes.toString('base64')],
    ['base64 without padding', bytes.toString('base64').replace(/=+$/, '')],
    ['base64url', bytes.toString('base64url')],
    ['surrounded by white space', `  ${bytes.toString('hex')}\n`],
  ])('accepts %s', (_, text) => {
    expect(parseEncryptionKey(text).equals(bytes)).toBe(true);
  });

  it.each([
    ['too short hex', 'ab'.repeat(31)],
    ['too long hex', 'ab'.repeat(33)],
    ['base64 of 31 bytes', randomBytes(31).toString('base64')],
    ['base64 of 33 bytes', randomBytes(33).toString('base64')],
    ['a passphrase', 'correct horse battery staple, really'],
    ['base64 with junk characters', `${bytes.toString('base64').slice(0, 20)}!!${bytes.toString('base64').slice(20)}`],
    ['empty', ''],
  ])('refuses %s with an error naming ENCRYPTION_KEY', (_, text) => {
    expect(() => parseEncryptionKey(text)).toThrow(/^ENCRYPTION_KEY must be 32 bytes written as 64 hex characters or as base64\/base64url/);
  });

  describe('resolveEncryptionKey', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'keygate-enc-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('uses ENCRYPTION_KEY when given, in production too, and writes nothing', async () => {
      const hex = bytes.toString('hex');
      expect((await resolveEncryptionKey({ encryptionKey: hex, dataDir: dir, isProduction: true })).equals(bytes)).toBe(true);
      expect(
        (await resolveEncryptionKey({ encryptionKey: bytes.toString('base64url'), dataDir: dir, isProduction: false })).equals(bytes),
      ).toBe(true);
      expect(readdirSync(dir)).toEqual([]);
    });

    it('refuses a malformed ENCRYPTION_KEY instead of falling back to a generated one', async () => {
      await expect(resolveEncryptionKey({ encryptionKey: 'not-a-key', dataDir: dir, isProduction: false })).rejects.toThrow(
        /^ENCRYPTION_KEY must be 32 bytes/,
      );
      expect(readdirSync(dir)).toEqual([]);
    });

    it('refuses production without ENCRYPTION_KEY, and writes nothing', async () => {
      await expect(resolveEncryptionKey({ dataDir: dir, isProduction: true })).rejects.toThrow(/^ENCRYPTION_KEY is required in production/);
      await expect(resolveEncryptionKey({ encryptionKey: '  ', dataDir: dir, isProduction: true })).rejects.toThrow(
        /^ENCRYPTION_KEY is required in production/,
      );
      expect(readdirSync(dir)).toEqual([]);
    });

    it('outside production generates one key into <dataDir>/encryption-key (0600) and reuses it', async () => {
      const dataDir = path.join(dir, 'nested', 'data');
      const first = await resolveEncryptionKey({ dataDir, isProduction: false });
      expect(first).toHaveLength(32);
      const file = path.join(dataDir, 'encryption-key');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, 'utf8')).toBe(`${first.toString('hex')}\n`);
      expect(readdirSync(dataDir)).toEqual(['encryption-key']);

      const second = await resolveEncryptionKey({ dataDir, isProduction: false });
      expect(second.equals(first)).toBe(true);
      // A secret sealed before a restart opens after it.
      expect(new SecretBox(second).open(new SecretBox(first).seal('whsec_survives'))).toBe('whsec_survives');
    });

    it('concurrent first starts agree on one key', async () => {
      const keys = await Promise.all(Array.from({ length: 8 }, () => resolveEncryptionKey({ dataDir: dir, isProduction: false })));
      for (const k of keys) expect(k.equals(keys[0])).toBe(true);
      expect(readdirSync(dir)).toEqual(['encryption-key']);
    });

    it('different data directories get different keys', async () => {
      const other = mkdtempSync(path.join(os.tmpdir(), 'keygate-enc-'));
      try {
        const a = await resolveEncryptionKey({ dataDir: dir, isProduction: false });
        const b = await resolveEncryptionKey({ dataDir: other, isProduction: false });
        expect(a.equals(b)).toBe(false);
      } finally {
        rmSync(other, { recursive: true, force: true });
      }
    });

    it('a damaged key file is an error naming the file, never silently replaced', async () => {
      const file = path.join(dir, 'encryption-key');
      writeFileSync(file, 'garbage', { mode: 0o600 });
      await expect(resolveEncryptionKey({ dataDir: dir, isProduction: false })).rejects.toThrow(
        `The development key in ${file} must be 32 bytes`,
      );
      expect(readFileSync(file, 'utf8')).toBe('garbage');
    });
  });
});
