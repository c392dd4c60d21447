import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { BadUserInputError } from '../../kernel/errors';

/**
 * Keeps webhook deliveries away from the server's own network. Checked when a webhook is saved
 * (assertPublicDestination) and again when each delivery connects (WebhookSender's lookup),
 * because DNS can change between the two (DNS rebinding).
 *
 * An allowlist: an address is allowed only when ipaddr.js calls it plain `unicast` (for IPv6:
 * inside global unicast 2000::/3), or when it is in a private range and private destinations are
 * allowed. Every other special range, including ones a later ipaddr.js may add, is refused.
 */
export type Lookup = (hostname: string) => Promise<{ address: string; family: 4 | 6 }[]>;

/** The system resolver (getaddrinfo: /etc/hosts, then DNS), every address, in the resolver's order. */
export const defaultLookup: Lookup = async (hostname) =>
  (await dns.promises.lookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

/** Refused unless WEBHOOKS_ALLOW_PRIVATE=true (local development and tests). */
const PRIVATE: Record<string, string> = {
  loopback: 'loopback',
  private: 'private',
  uniqueLocal: 'unique local',
  carrierGradeNat: 'carrier-grade NAT',
  siteLocal: 'site-local',
};

/** Refused always. Link-local includes cloud metadata endpoints (169.254.169.254, fe80::/10). */
const ALWAYS: Record<string, string> = {
  linkLocal: 'link-local',
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  reserved: 'reserved',
  benchmarking: 'benchmarking',
  amt: 'AMT',
  as112: 'AS112',
  as112v6: 'AS112',
  discard: 'discard-only',
  rfc6145: 'IPv4-translated',
  '6to4': '6to4',
  teredo: 'Teredo',
  deprecated: 'deprecated',
  orchid2: 'ORCHIDv2',
  droneRemoteIdProtocolEntityTags: 'drone remote ID',
};

const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3') as [ipaddr.IPv6, number];
const SITE_LOCAL_V6 = ipaddr.parseCIDR('fec0::/10') as [ipaddr.IPv6, number];

/** The IPv4 address to judge instead: IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d). */
function embeddedIPv4(addr: ipaddr.IPv6): ipaddr.IPv4 | null {
  const range = addr.range();
  if (range === 'ipv4Mapped') return addr.toIPv4Address();
  if (range === 'rfc6052') {
    const b = addr.toByteArray();
    return new ipaddr.IPv4(b.slice(12));
  }
  return null;
}

/** A reason (e.g. `loopback`, `link-local`) when `ip` must not be contacted, else null. */
export function isForbiddenAddress(ip: string, allowPrivate: boolean): string | null {
  if (typeof ip !== 'string' || !ipaddr.isValid(ip)) return 'invalid';
  let addr: ipaddr.IPv4 | ipaddr.IPv6 = ipaddr.parse(ip);
  // ipaddr.js reads the deprecated IPv4-compatible form `::a.b.c.d` as IPv4-mapped; the socket
  // layer does not (it is ::a.b.c.d, not ::ffff:a.b.c.d), so rebuild the address it really is.
  const compatible = /^::(\d{1,3}(?:\.\d{1,3}){3})(?:%.*)?$/.exec(ip);
  if (compatible && ipaddr.IPv4.isValidFourPartDecimal(compatible[1])) {
    const [a, b, c, d] = ipaddr.IPv4.parse(compatible[1]).toByteArray();
    addr = new ipaddr.IPv6([0, 0, 0, 0, 0, 0, (a << 8) | b, (c << 8) | d]);
  } else if (addr.kind() === 'ipv6') addr = embeddedIPv4(addr as ipaddr.IPv6) ?? addr;

  let range: string = addr.range();
  if (addr.kind() === 'ipv6' && range === 'unicast' && !(addr as ipaddr.IPv6).match(GLOBAL_UNICAST_V6)) {
    range = (addr as ipaddr.IPv6).match(SITE_LOCAL_V6) ? 'siteLocal' : 'reserved';
  }
  if (range === 'unicast') return null;
  if (Object.hasOwn(PRIVATE, range)) return allowPrivate ? null : PRIVATE[range];
  return Object.hasOwn(ALWAYS, range) ? ALWAYS[range] : range;
}

const AN = new Set(['unspecified', 'invalid', 'IPv4-translated', 'AMT', 'AS112', 'ORCHIDv2']);

/** "a loopback", "an unspecified": for messages. */
function withArticle(reason: string): string {
  return `${AN.has(reason) ? 'an' : 'a'} ${reason}`;
}

/** The first of `addresses` that must not be contacted, with the reason, or null when all may be. */
export function findForbidden(addresses: readonly string[], allowPrivate: boolean): { address: string; reason: string } | null {
  for (const address of addresses) {
    const reason = isForbiddenAddress(address, allowPrivate);
    if (reason) return { address, reason };
  }
  return null;
}

/** Said whenever a refusal is one WEBHOOKS_ALLOW_PRIVATE would lift, so a developer learns the setting exists. */
export const ALLOW_PRIVATE_HINT =
  'Loopback and private addresses are allowed only when keygate runs with WEBHOOKS_ALLOW_PRIVATE=true (local development).';

/**
 * `loopback address (127.0.0.1)` → "Webhook URL resolves to a loopback address (127.0.0.1), which is
 * not allowed. Loopback and private addresses are allowed only when keygate runs with
 * WEBHOOKS_ALLOW_PRIVATE=true (local development)." The hint only for ranges the setting opens.
 */
export function forbiddenMessage(f: { address: string; reason: string }): string {
  const refusal = `Webhook URL resolves to ${withArticle(f.reason)} address (${f.address}), which is not allowed.`;
  return Object.values(PRIVATE).includes(f.reason) ? `${refusal} ${ALLOW_PRIVATE_HINT}` : refusal;
}

/**
 * What a delivery refused at send time records: `loopback address (127.0.0.1). Loopback and private
 * addresses are allowed only when …` — the same hint as at save time, for the same ranges.
 */
export function deliveryRefusal(f: { address: string; reason: string }): string {
  const refusal = `${f.reason} address (${f.address})`;
  return Object.values(PRIVATE).includes(f.reason) ? `${refusal}. ${ALLOW_PRIVATE_HINT}` : refusal;
}

export const MAX_WEBHOOK_URL_LENGTH = 2048;

/**
 * Shape checks only, no DNS: an absolute https URL (http too outside production), at most 2048
 * characters, with a host and without credentials. Throws BadUserInputError({ url }).
 */
export function validateWebhookUrl(raw: string, opts: { isProduction: boolean }): URL {
  const refuse = (message: string): never => {
    throw new BadUserInputError({ url: message });
  };
  const text = typeof raw === 'string' ? raw.trim() : '';
  if (text.length === 0) refuse('url is required.');
  if (text.length > MAX_WEBHOOK_URL_LENGTH) refuse(`url must be at most ${MAX_WEBHOOK_URL_LENGTH} characters.`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return refuse(
      opts.isProduction ? 'url is not a valid absolute https URL.' : 'url is not a valid absolute URL (https, or http outside production).',
    );
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && !opts.isProduction)) {
    refuse(opts.isProduction ? 'url must use https.' : 'url must use https (or http outside production).');
  }
  if (url.username || url.password) refuse('url must not contain credentials.');
  if (!url.hostname) refuse('url must have a host name.');
  return url;
}

/** `[::1]` → `::1`; a host name unchanged. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * Resolves the URL's host (an IP literal is judged as it is) and throws BadUserInputError({ url })
 * when it does not resolve or when ANY of its addresses is forbidden: a host that resolves to a
 * public and a private address is refused, not half-trusted.
 */
export async function assertPublicDestination(url: URL, opts: { allowPrivate: boolean; lookup: Lookup }): Promise<void> {
  const host = hostOf(url);
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
  const forbidden = findForbidden(addresses, opts.allowPrivate);
  if (forbidden) throw new BadUserInputError({ url: forbiddenMessage(forbidden) });
}
