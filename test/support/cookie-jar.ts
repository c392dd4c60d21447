/**
 * Just enough of a browser for redirect-driven flows over fetch: cookies kept per host (as
 * browsers do, whatever the port), sent back on every request, redirects followed by hand so a
 * test sees each hop.
 */
export class CookieJar {
  private readonly byHost = new Map<string, Map<string, string>>();

  cookie(url: string, name: string): string | undefined {
    return this.byHost.get(new URL(url).hostname)?.get(name);
  }

  /** One request; returns the response without following a redirect. */
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const host = new URL(url).hostname;
    const jar = this.byHost.get(host) ?? new Map<string, string>();
    this.byHost.set(host, jar);
    const headers = new Headers(init.headers);
    if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((p) => p.trim());
      const at = pair.indexOf('=');
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      const expired = attributes.some((a) => /^max-age=0$/i.test(a) || /^expires=thu, 01 jan 1970/i.test(a));
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
    return res;
  }

  /** Follows redirects (GET), returning every hop's URL and the final response. */
  async follow(url: string, init: RequestInit = {}, maxHops = 15): Promise<{ hops: string[]; response: Response }> {
    const hops: string[] = [url];
    let response = await this.fetch(url, init);
    while (response.status >= 300 && response.status < 400 && hops.length <= maxHops) {
      const next = new URL(response.headers.get('location')!, hops[hops.length - 1]).href;
      hops.push(next);
      response = await this.fetch(next);
    }
    return { hops, response };
  }
}
