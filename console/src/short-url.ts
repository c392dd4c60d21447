/**
 * The address a short link answers at: its custom domain's, or keygate's own host (where this
 * console is served). A custom domain is written with this page's scheme: keygate serves both.
 */
export function shortUrl(link: { slug: string; domain?: { hostname: string } | null }): string {
  return link.domain ? `${location.protocol}//${link.domain.hostname}/${link.slug}` : `${location.origin}/${link.slug}`;
}

/** The default host's name, as the domain choice shows it. */
export function defaultHost(): string {
  return location.host;
}
