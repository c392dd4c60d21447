import net from 'node:net';
import { z } from 'zod';

/** A bad environment variable: the process stops at start-up with this message. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** A yes/no variable: true/false, 1/0 or yes/no; `fallback` when unset. */
export const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .optional()
    .transform((v) => (v === undefined ? fallback : v === 'true' || v === '1' || v === 'yes'));

/** A string variable; unset or blank is undefined. */
export const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** Settings whose values are lists or forms zod alone does not check well. */
/** proxy-addr's named ranges, accepted by Fastify's trustProxy list. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** A comma-separated list: its non-empty items, trimmed; none when unset. */
export function listOf(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

export function parseTrustProxy(raw: string | undefined): boolean | string[] {
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  const entries = raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const [address, bits] = entry.split('/');
    const valid =
      PROXY_RANGE_NAMES.has(entry) ||
      (net.isIP(address) !== 0 && (bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (net.isIPv6(address) ? 128 : 32))));
    if (!valid) {
      // Fastify 5 trusts nothing for a bare hop count (it cannot check the immediate peer), so
      // a count is refused here rather than silently ignored.
      throw new ConfigError(
        `Invalid environment:\n  TRUST_PROXY: "${entry}" is not an IP address, a CIDR or loopback|linklocal|uniquelocal; ` +
          'use true, or the proxies\u2019 addresses such as 10.0.0.0/8,127.0.0.1',
      );
    }
  }
  return entries;
}

export function parseCorsOrigins(raw: string | undefined): string[] | '*' | null {
  if (!raw) return null;
  if (raw === '*') return '*';
  const origins = raw
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.origin !== origin) {
      throw new ConfigError(`Invalid environment:\n  CORS_ORIGINS: "${origin}" is not an origin such as https://app.example.com`);
    }
  }
  return origins;
}
