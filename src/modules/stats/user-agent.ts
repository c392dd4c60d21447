/**
 * A coarse user-agent family for click stats. Order matters: Edge and Opera claim to be Chrome,
 * Chrome claims to be Safari, and most bots claim to be everything.
 */
const FAMILIES: [string, RegExp][] = [
  ['Bot', /bot|crawler|spider|slurp|facebookexternalhit|preview|monitor/i],
  ['curl', /^curl\//i],
  ['Edge', /Edg(e|A|iOS)?\//],
  ['Opera', /OPR\/|Opera/],
  ['Firefox', /Firefox\/|FxiOS/],
  ['Chrome', /Chrome\/|CriOS/],
  ['Safari', /Safari\//],
  ['HTTP library', /python|go-http|java\/|okhttp|axios|node-fetch|undici|wget|libwww/i],
];

export function userAgentFamily(userAgent: string | undefined): string {
  if (!userAgent) return 'Unknown';
  for (const [family, pattern] of FAMILIES) if (pattern.test(userAgent)) return family;
  return 'Other';
}

export function referrerHost(referrer: string | undefined): string | null {
  if (!referrer) return null;
  try {
    const host = new URL(referrer).hostname.toLowerCase();
    return host ? host.slice(0, 253) : null;
  } catch {
    return null;
  }
}

export function countryCode(value: string | string[] | undefined): string | null {
  const v = (Array.isArray(value) ? value[0] : value)?.trim().toUpperCase();
  // XX and T1 are what Cloudflare sends for unknown and Tor.
  return v && /^[A-Z]{2}$/.test(v) && v !== 'XX' ? v : null;
}
