import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DataSource } from 'typeorm';
import { verifiedDomainIdSql } from '../domains/domain.queries';
import { hostnameOfHostHeader } from '../domains/hostname';

/**
 * What the redirect tells about each click it serves. The stats feature listens (its click
 * recorder); short links name the need, not the feature, which builds on them.
 */
export interface RedirectObserver {
  redirected(link: { id: string; orgId: string }, request: FastifyRequest): void;
}

/**
 * `GET /:slug` → 302 to the link's URL. On a verified custom domain (by Host) the slug is looked
 * up among that domain's links; on any other host, among the default host's. One SELECT (the
 * domain part is the domains feature's SQL), no write: the observer buffers the click.
 */
const LOOKUP = `SELECT l.id, l.org_id, l.url FROM short_links l WHERE l.slug = $1 AND l.domain_id IS NOT DISTINCT FROM (${verifiedDomainIdSql('$2')})`;

export function registerRedirectRoute(server: FastifyInstance, deps: { dataSource: DataSource; observer: RedirectObserver }): void {
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
    deps.observer.redirected({ id: link.id, orgId: link.org_id }, request);
    return reply.code(302).header('location', link.url).header('cache-control', 'no-store').send();
  });
}
