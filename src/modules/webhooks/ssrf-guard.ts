import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { BadUserInputError } from '../../errors';

/**
 * Keeps webhook deliveries away from the server's own network. Checked when a webhook is saved
 * and again when each delivery connects (the sender's lookup), because DNS can change between
 * the two (DNS rebinding).
 */
export type Lookup = (hostname: string) => Promise<{ address: string; family: 4 | 6 }[]>;

export const defaultLookup: Lookup = async (hostname) =>
  (await dns.promises.lookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family as 4 | 6 }));

/** Ranges refused even with WEBHOOKS_ALLOW_PRIVATE: link-local includes cloud metadata (169.254.169.254). */
const ALWAYS_FORBIDDEN = new Set(['linkLocal', 'unspecified', 'broadcast', 'multicast', 'reserved', 'benchmarking', 'amt', 'as112', 'as112v6', 'orchid2', 'droneRemoteIdProtocolEntityTags', 'teredo', '6to4', 'rfc6145', 'rfc6052', 'discard']);
/** Ranges refused unless WEBHOOKS_ALLOW_PRIVATE=true (local development and tests). */
const PRIVATE = new Set(['loopback', 'private', 'uniqueLocal', 'carrierGradeNat']);

const NAMES: Record<string, string> = { linkLocal: 'link-local', uniqueLocal: 'unique local', carrierGradeNat: 'carrier-grade NAT' };

/** A reason when `ip` must not be contacted, else null. */
export function isForbiddenAddress(ip: string, allowPrivate: boolean): string | null {
  if (!ipaddr.isValid(ip)) return 'invalid';
  let addr = ipaddr.parse(ip);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
  const range = addr.range();
  if (ALWAYS_FORBIDDEN.has(range)) return NAMES[range] ?? range;
  if (PRIVATE.has(range) && !allowPrivate) return NAMES[range] ?? range;
  return null;
}

/** Shape checks only (no DNS): https (http outside production), no credentials, ≤ 2048 chars. */
export function validateWebhookUrl(raw: string, opts: { isProduction: boolean }): URL {
  const text = raw.trim();
  const refuse = (message: string): never => {
    throw new BadUserInputError({ url: message });
  };
  if (text.length === 0 || text.length > 2048) refuse('url must be 1 to 2048 characters.');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return refuse('url must be an absolute https URL.');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && !opts.isProduction)) {
    refuse(opts.isProduction ? 'url must use https.' : 'url must use https (or http outside production).');
  }
  if (url.username || url.password) refuse('url must not contain credentials.');
  if (!url.hostname) refuse('url must have a host.');
  return url;
}

export async function assertPublicDestination(url: URL, opts: { allowPrivate: boolean; lookup: Lookup }): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (net.isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await opts.lookup(host)).map((a) => a.address);
    } catch {
      addresses = [];
    }
    if (addresses.length === 0) throw new BadUserInputError({ url: `Webhook URL host ${host} does not resolve.` });
  }
  for (const address of addresses) {
    const reason = isForbiddenAddress(address, opts.allowPrivate);
    if (reason) throw new BadUserInputError({ url: `Webhook URL resolves to a ${reason} address (${address}), which is not allowed.` });
  }
}
