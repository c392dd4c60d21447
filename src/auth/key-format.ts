import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * API key format: `<prefix><64 lowercase hex><6 base62 checksum>`, e.g.
 * `sk_live_<64 hex>0a1B2c`. The checksum is CRC32 of everything before it, as GitHub does for
 * its tokens: a typo or a truncated paste is rejected as MALFORMED without touching the
 * database, and secret scanners can match keys with almost no false positives.
 */
const BODY_HEX_LENGTH = 64;
const CHECKSUM_LENGTH = 6;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Characters shown in `prefix` for identification (e.g. `sk_live_a1b2`). */
const DISPLAY_PREFIX_BODY_CHARS = 4;

function base62(n: number, width: number): string {
  let out = '';
  let v = n;
  while (v > 0) {
    out = BASE62[v % 62] + out;
    v = Math.floor(v / 62);
  }
  return out.padStart(width, '0');
}

export function checksum(payload: string): string {
  return base62(crc32(payload), CHECKSUM_LENGTH);
}

export interface KeyDisplay {
  /** The configured prefix plus the first characters of the body, e.g. `sk_live_a1b2`. */
  prefix: string;
  last4: string;
  /** `sk_live_a1b2…9f3c`: safe to show anywhere. */
  maskedKey: string;
}

export interface GeneratedKey extends KeyDisplay {
  secret: string;
  hash: string;
}

export class KeyFormat {
  private readonly pattern: RegExp;

  constructor(readonly keyPrefix: string) {
    const escaped = keyPrefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    this.pattern = new RegExp(`^${escaped}[0-9a-f]{${BODY_HEX_LENGTH}}[0-9A-Za-z]{${CHECKSUM_LENGTH}}$`);
  }

  /** A regex for secret scanners (unanchored, global). */
  get scannerRegex(): string {
    return `${this.keyPrefix}[0-9a-f]{${BODY_HEX_LENGTH}}[0-9A-Za-z]{${CHECKSUM_LENGTH}}`;
  }

  get length(): number {
    return this.keyPrefix.length + BODY_HEX_LENGTH + CHECKSUM_LENGTH;
  }

  generate(): GeneratedKey {
    const payload = this.keyPrefix + randomBytes(BODY_HEX_LENGTH / 2).toString('hex');
    const secret = payload + checksum(payload);
    return { secret, hash: hashSecret(secret), ...this.display(secret) };
  }

  /** Looks like one of our keys at all (decides key vs session token for Bearer values). */
  hasKeyPrefix(value: string): boolean {
    return value.startsWith(this.keyPrefix);
  }

  /** Shape and checksum; pure CPU, no I/O. */
  isWellFormed(value: string): boolean {
    if (value.length !== this.length || !this.pattern.test(value)) return false;
    const split = value.length - CHECKSUM_LENGTH;
    return checksum(value.slice(0, split)) === value.slice(split);
  }

  display(secret: string): KeyDisplay {
    const prefix = secret.slice(0, this.keyPrefix.length + DISPLAY_PREFIX_BODY_CHARS);
    const last4 = secret.slice(-4);
    return { prefix, last4, maskedKey: `${prefix}…${last4}` };
  }
}

/** SHA-256 hex of the whole key: the only form in which a key is stored. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
