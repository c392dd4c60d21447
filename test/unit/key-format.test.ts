import { checksum, hashSecret, KeyFormat } from '../../src/auth/key-format';

const format = new KeyFormat('sk_live_');

describe('key format', () => {
  it('generates prefix + 64 hex + 6 base62 checksum, with the display parts and hash', () => {
    const k = format.generate();
    expect(k.secret).toMatch(/^sk_live_[0-9a-f]{64}[0-9A-Za-z]{6}$/);
    expect(new RegExp(format.scannerRegex).test(k.secret)).toBe(true);
    expect(k.prefix).toBe(k.secret.slice(0, 12));
    expect(k.last4).toBe(k.secret.slice(-4));
    expect(k.maskedKey).toBe(`${k.prefix}…${k.last4}`);
    expect(k.hash).toBe(hashSecret(k.secret));
    expect(k.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum(k.secret.slice(0, -6))).toBe(k.secret.slice(-6));
    expect(format.isWellFormed(k.secret)).toBe(true);
  });

  it('two keys never share a body', () => {
    const bodies = new Set(Array.from({ length: 1000 }, () => format.generate().secret.slice(8, 72)));
    expect(bodies.size).toBe(1000);
  });

  it('detects every single-character change in the body', () => {
    const k = format.generate().secret;
    for (let i = 8; i < 72; i++) {
      const c = k[i] === '0' ? '1' : '0';
      expect(format.isWellFormed(k.slice(0, i) + c + k.slice(i + 1))).toBe(false);
    }
  });

  it('honours a custom prefix', () => {
    const custom = new KeyFormat('kg_test_');
    const k = custom.generate().secret;
    expect(k.startsWith('kg_test_')).toBe(true);
    expect(custom.isWellFormed(k)).toBe(true);
    expect(format.isWellFormed(k)).toBe(false);
  });
});
