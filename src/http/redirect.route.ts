import type { FastifyInstance } from 'fastify';
import type { DataSource } from 'typeorm';
import { hostnameOfHostHeader } from '../modules/domains/hostname';
import type { ClickRecorder } from '../modules/stats/click-recorder';
import { countryCode, referrerHost, userAgentFamily } from '../modules/stats/user-agent';

/**
 * `GET /:slug` → 302 to the link's URL. On a verified custom domain (by Host) the slug is looked
 * up among that domain's links; on any other host, among the default host's. One SELECT, no
 * write: the click is buffered and written by the ClickRecorder's next flush.
 */
const LOOKUP = `
  SELECT l.id, l.org_id, l.url FROM short_links l
   WHERE l.slug = $1
     AND l.domain_id IS NOT DISTINCT FROM (SELECT d.id FROM domains d WHERE d.hostname = $2 AND d.verified_at IS NOT NULL)`;

export function registerRedirectRoute(
  server: FastifyInstance,
  deps: { dataSource: DataSource; clicks: ClickRecorder; countryHeader?: string },
): void {
  server.get<{ Params: { slug: string } }>('/:slug', async (request, reply) => {
    const { slug } = request.params;
    const notFound = () => reply.code(404).type('text/plain; charset=utf-8').send('Not found\n');
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(slug)) return notFound();
    // Normalised exactly like stored domains (case, port, trailing dot, IDN), or `go.acme.test.`
    // would miss the verified domain and fall through to the default host's slugs.
    const hostname = hostnameOfHostHeader(request.headers.host);
    const rows: { id: string; org_id: string; url: string }[] = await deps.dataSource.query(LOOKUP, [slug, hostname]);
    const link = rows[0];
    if (!link) return notFound();
    deps.clicks.record({
      linkId: link.id,
      orgId: link.org_id,
      clickedAt: new Date(),
      referrerHost: referrerHost(request.headers.referer),
      userAgentFamily: userAgentFamily(request.headers['user-agent']),
      country: deps.countryHeader ? countryCode(request.headers[deps.countryHeader]) : null,
    });
    return reply.code(302).header('location', link.url).header('cache-control', 'no-store').send();
  });
}
