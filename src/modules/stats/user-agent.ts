/**
 * A coarse user-agent family for click stats. Order matters: Edge and Opera claim to be Chrome,
 * Chrome claims to be Safari, and most bots claim to be everything.
 */
const BOT = /bot|crawler|spider|slurp|facebookexternalhit|preview|monitor/i;
const FAMILIES: [string, RegExp][] = [
  ['Bot', BOT],
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

/** What kind of device a click came from, as the stats' `topDevices` name it. */
export type DeviceClass = 'desktop' | 'mobile' | 'tablet' | 'bot' | 'other';

/** The device classes, for documentation and tests. */
export const DEVICE_CLASSES: readonly DeviceClass[] = ['desktop', 'mobile', 'tablet', 'bot', 'other'];

/**
 * The device class of a user agent, decided from the whole header at click time (only the class
 * and the family are stored). Tablets before phones: an Android tablet sends no "Mobile", an
 * iPad says iPad. iPadOS 13+ Safari presents itself as a Mac, so it counts as desktop.
 * Command-line tools and HTTP libraries are neither people's devices nor crawlers: other.
 */
/** Real user agents are under 512 characters; a longer one is read only that far, so no pattern's work grows with it. */
const MAX_USER_AGENT = 512;

export function deviceClass(raw: string | undefined): DeviceClass {
  if (!raw) return 'other';
  const userAgent = raw.slice(0, MAX_USER_AGENT);
  if (BOT.test(userAgent)) return 'bot';
  // Android without "Mobile" is a tablet: two linear tests, not a look-ahead that rescans the rest per "Android".
  if (/iPad|Tablet|PlayBook|Kindle|Silk\//i.test(userAgent) || (/Android/i.test(userAgent) && !/Mobile/i.test(userAgent))) return 'tablet';
  if (/Mobi|iPhone|iPod|Android|Windows Phone|IEMobile|Opera Mini/i.test(userAgent)) return 'mobile';
  if (/Windows NT|Macintosh|Mac OS X|X11|Linux|CrOS/.test(userAgent) && /Mozilla\//.test(userAgent)) return 'desktop';
  return 'other';
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
