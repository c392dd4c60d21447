import { domainToASCII } from 'node:url';

/**
 * The one form hostnames are compared in: trimmed, without the trailing dot of a fully
 * qualified name, lower case, IDNs as punycode. Domains are stored this way, and a `Host`
 * header is reduced to it before it is looked up, so `GO.Acme.test.:8080` finds `go.acme.test`.
 * Returns '' for what is not a valid domain name.
 */
export function canonicalHostname(raw: string): string {
  return domainToASCII(raw.trim().replace(/\.$/, '').toLowerCase());
}

/** The hostname of a `Host` header value: the port (and IPv6 brackets) removed, then canonical. */
export function hostnameOfHostHeader(host: string | undefined): string {
  if (!host) return '';
  const value = host.trim();
  if (value.startsWith('[')) {
    // An IPv6 literal: never a custom domain.
    const end = value.indexOf(']');
    return (end > 0 ? value.slice(1, end) : value.slice(1)).toLowerCase();
  }
  return canonicalHostname(value.replace(/:\d*$/, ''));
}
