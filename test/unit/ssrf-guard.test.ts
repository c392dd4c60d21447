import { BadUserInputError } from '../../src/kernel/errors';
import {
  assertPublicDestination,
  defaultLookup,
  isForbiddenAddress,
  validateWebhookUrl,
  type Lookup,
} from '../../src/modules/webhooks/ssrf-guard';

/** Every refusal WEBHOOKS_ALLOW_PRIVATE would lift names the setting. */
const ALLOW_PRIVATE =
  ' Loopback and private addresses are allowed only when keygate runs with WEBHOOKS_ALLOW_PRIVATE=true (local development).';

describe('isForbiddenAddress', () => {
  it.each([
    // IPv4 public unicast
    '93.184.216.34',
    '8.8.8.8',
    '1.1.1.1',
    '172.15.255.255',
    '172.32.0.1',
    '100.63.255.255',
    '100.128.0.1',
    '169.253.255.255',
    // IPv6 global unicast
    '2606:4700:4700::1111',
    '2a00:1450:4001:80b::200e',
    '::ffff:93.184.216.34',
    '64:ff9b::8.8.8.8',
  ])('allows the public address %s', (ip) => {
    expect(isForbiddenAddress(ip, false)).toBeNull();
    expect(isForbiddenAddress(ip, true)).toBeNull();
  });

  it.each([
    ['169.254.169.254', 'link-local'],
    ['169.254.0.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['198.51.100.7', 'reserved'],
    ['203.0.113.9', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    // IPv4 inside IPv6 is judged as the IPv4 it carries.
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['64:ff9b::169.254.169.254', 'link-local'],
    // Other IPv6 forms that embed or tunnel IPv4, and anything outside global unicast 2000::/3.
    ['2002:7f00:1::1', '6to4'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo'],
    ['::ffff:0:7f00:1', 'IPv4-translated'],
    // IPv4-compatible (deprecated): ::a.b.c.d is not ::ffff:a.b.c.d, and is nowhere routable.
    ['::127.0.0.1', 'reserved'],
    ['::7f00:1', 'reserved'],
    ['::0.0.0.0', 'unspecified'],
    ['100::1', 'discard-only'],
    ['4000::1', 'reserved'],
    ['not an ip', 'invalid'],
    ['', 'invalid'],
    ['example.com', 'invalid'],
    ['256.1.1.1', 'invalid'],
  ])('always refuses %s (%s), even when private destinations are allowed', (ip, reason) => {
    expect(isForbiddenAddress(ip, false)).toBe(reason);
    expect(isForbiddenAddress(ip, true)).toBe(reason);
  });

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::0.0.0.1', 'loopback'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['10.0.0.7', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['::ffff:192.168.1.1', 'private'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['fc00::1', 'unique local'],
    ['fd12:3456:789a::1', 'unique local'],
    ['fec0::1', 'site-local'],
    // Shorthand IPv4 forms name the same addresses.
    ['127.1', 'loopback'],
    ['2130706433', 'loopback'],
    ['0x7f.0.0.1', 'loopback'],
  ])('refuses %s (%s) unless private destinations are allowed', (ip, reason) => {
    expect(isForbiddenAddress(ip, false)).toBe(reason);
    expect(isForbiddenAddress(ip, true)).toBeNull();
  });
});

describe('validateWebhookUrl', () => {
  const fieldOf = (fn: () => unknown): string => {
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(BadUserInputError);
      const fields = (error as BadUserInputError).extensions.fields as Record<string, string>;
      expect(Object.keys(fields)).toEqual(['url']);
      return fields.url;
    }
    throw new Error('expected a BadUserInputError');
  };

  it('returns the parsed URL of an https endpoint, trimmed', () => {
    const url = validateWebhookUrl('  https://hooks.example.com:8443/in?x=1  ', { isProduction: true });
    expect(url).toBeInstanceOf(URL);
    expect(url.href).toBe('https://hooks.example.com:8443/in?x=1');
  });

  it('allows http only outside production', () => {
    expect(validateWebhookUrl('http://127.0.0.1:3000/hook', { isProduction: false }).href).toBe('http://127.0.0.1:3000/hook');
    expect(fieldOf(() => validateWebhookUrl('http://hooks.example.com/', { isProduction: true }))).toBe('url must use https.');
  });

  it.each(['ftp://example.com/hook', 'file:///etc/passwd', 'javascript:alert(1)', 'gopher://example.com/', 'ws://example.com/'])(
    'refuses the scheme of %s',
    (raw) => {
      expect(fieldOf(() => validateWebhookUrl(raw, { isProduction: true }))).toBe('url must use https.');
      expect(fieldOf(() => validateWebhookUrl(raw, { isProduction: false }))).toBe('url must use https (or http outside production).');
    },
  );

  it.each(['not a url', '/relative/path', 'hooks.example.com/x', 'https://', 'https://exa mple.com/'])('refuses %j as not a URL', (raw) => {
    expect(fieldOf(() => validateWebhookUrl(raw, { isProduction: true }))).toBe('url is not a valid absolute https URL.');
    expect(fieldOf(() => validateWebhookUrl(raw, { isProduction: false }))).toBe(
      'url is not a valid absolute URL (https, or http outside production).',
    );
  });

  it.each(['https://user:pass@example.com/hook', 'https://user@example.com/hook', 'https://:pass@example.com/hook'])(
    'refuses credentials in %s',
    (raw) => {
      expect(fieldOf(() => validateWebhookUrl(raw, { isProduction: true }))).toBe('url must not contain credentials.');
    },
  );

  it('accepts 2048 characters and refuses 2049', () => {
    const base = 'https://hooks.example.com/';
    const at = (n: number) => base + 'a'.repeat(n - base.length);
    expect(validateWebhookUrl(at(2048), { isProduction: true }).href).toHaveLength(2048);
    expect(fieldOf(() => validateWebhookUrl(at(2049), { isProduction: true }))).toBe('url must be at most 2048 characters.');
  });

  it('refuses an empty url', () => {
    expect(fieldOf(() => validateWebhookUrl('   ', { isProduction: true }))).toBe('url is required.');
  });

  it('does no DNS: a name that can never resolve passes the shape check', () => {
    expect(validateWebhookUrl('https://does-not-exist.invalid/hook', { isProduction: true }).hostname).toBe('does-not-exist.invalid');
  });
});

describe('assertPublicDestination', () => {
  const calls: string[] = [];
  const table: Record<string, { address: string; family: 4 | 6 }[]> = {
    'public.example': [{ address: '93.184.216.34', family: 4 }],
    'dual.example': [
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 },
    ],
    'mixed.example': [
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.7', family: 4 },
    ],
    'metadata.example': [{ address: '169.254.169.254', family: 4 }],
    'local.example': [{ address: '127.0.0.1', family: 4 }],
    'mapped.example': [{ address: '::ffff:127.0.0.1', family: 6 }],
    'empty.example': [],
  };
  const lookup: Lookup = async (host) => {
    calls.push(host);
    const found = table[host];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return found;
  };
  beforeEach(() => {
    calls.length = 0;
  });

  const refusal = async (raw: string, allowPrivate: boolean): Promise<string> => {
    const error = await assertPublicDestination(new URL(raw), { allowPrivate, lookup }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BadUserInputError);
    return ((error as BadUserInputError).extensions.fields as Record<string, string>).url;
  };

  it('passes a host whose every address is public', async () => {
    await expect(assertPublicDestination(new URL('https://public.example/x'), { allowPrivate: false, lookup })).resolves.toBeUndefined();
    await expect(assertPublicDestination(new URL('https://dual.example/x'), { allowPrivate: false, lookup })).resolves.toBeUndefined();
    expect(calls).toEqual(['public.example', 'dual.example']);
  });

  it('refuses when ANY address is forbidden', async () => {
    expect(await refusal('https://mixed.example/x', false)).toBe(
      'Webhook URL resolves to a private address (10.0.0.7), which is not allowed.' + ALLOW_PRIVATE,
    );
    expect(await assertPublicDestination(new URL('https://mixed.example/x'), { allowPrivate: true, lookup })).toBeUndefined();
  });

  it('refuses cloud metadata even when private destinations are allowed', async () => {
    expect(await refusal('https://metadata.example/latest', true)).toBe(
      'Webhook URL resolves to a link-local address (169.254.169.254), which is not allowed.',
    );
  });

  it('refuses loopback, also behind an IPv4-mapped IPv6 answer, unless private destinations are allowed', async () => {
    expect(await refusal('http://local.example/', false)).toBe(
      'Webhook URL resolves to a loopback address (127.0.0.1), which is not allowed.' + ALLOW_PRIVATE,
    );
    expect(await refusal('http://mapped.example/', false)).toBe(
      'Webhook URL resolves to a loopback address (::ffff:127.0.0.1), which is not allowed.' + ALLOW_PRIVATE,
    );
    await expect(assertPublicDestination(new URL('http://local.example/'), { allowPrivate: true, lookup })).resolves.toBeUndefined();
  });

  it('judges IP literals directly, without a lookup', async () => {
    expect(await refusal('http://127.0.0.1:9/hook', false)).toBe(
      'Webhook URL resolves to a loopback address (127.0.0.1), which is not allowed.' + ALLOW_PRIVATE,
    );
    expect(await refusal('http://[::1]/hook', false)).toBe(
      'Webhook URL resolves to a loopback address (::1), which is not allowed.' + ALLOW_PRIVATE,
    );
    expect(await refusal('http://169.254.169.254/latest/meta-data', true)).toBe(
      'Webhook URL resolves to a link-local address (169.254.169.254), which is not allowed.',
    );
    expect(await refusal('http://0.0.0.0/', true)).toBe('Webhook URL resolves to an unspecified address (0.0.0.0), which is not allowed.');
    // The URL parser normalizes the IPv6 literal to its hex form.
    expect(await refusal('http://[::ffff:169.254.169.254]/', true)).toBe(
      'Webhook URL resolves to a link-local address (::ffff:a9fe:a9fe), which is not allowed.',
    );
    // …and decimal or short IPv4 forms to dotted quads.
    expect(await refusal('http://2130706433/', false)).toBe(
      'Webhook URL resolves to a loopback address (127.0.0.1), which is not allowed.' + ALLOW_PRIVATE,
    );
    await expect(assertPublicDestination(new URL('https://93.184.216.34/'), { allowPrivate: false, lookup })).resolves.toBeUndefined();
    expect(calls).toEqual([]);
  });

  it('refuses a host that does not resolve, or resolves to nothing', async () => {
    expect(await refusal('https://nowhere.example/x', true)).toBe('Webhook URL host nowhere.example does not resolve.');
    expect(await refusal('https://empty.example/x', true)).toBe('Webhook URL host empty.example does not resolve.');
  });

  it('defaultLookup resolves localhost through the system resolver, every address', async () => {
    const found = await defaultLookup('localhost');
    expect(found.length).toBeGreaterThan(0);
    for (const a of found) {
      expect([4, 6]).toContain(a.family);
      expect(isForbiddenAddress(a.address, false)).toBe('loopback');
    }
  });
});
