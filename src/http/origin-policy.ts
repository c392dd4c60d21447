import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../kernel/config';
import { ErrorCode, ForbiddenRule } from '../kernel/errors';

/** The paths a browser page on another origin might call: the API. */
const API_PATHS = new Set(['/graphql']);

/**
 * Whether a request is for the API: by the route Fastify matched, whose router decodes the path
 * (`/%67raphql` is `/graphql` to it), as well as by the path as sent (a catch-all route, a 404).
 * The path as sent alone let `/%67raphql` reach the GraphQL route past the origin policy
 * (the attacker's pass of issue 21).
 */
export function isApiRequest(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  if (route !== undefined && API_PATHS.has(route)) return true;
  const at = request.url.indexOf('?');
  return API_PATHS.has(at < 0 ? request.url : request.url.slice(0, at));
}

/** `https://a.example:443` → `https://a.example`; null when it is no origin at all (`null`, garbage). */
export function originOf(url: string): string | null {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

/** Why a browser on `origin` may not call the API, in words that name the setting to change. */
export function corsRefusal(origin: string, corsOrigins: Config['corsOrigins']): string {
  return corsOrigins
    ? `Browser requests from origin ${origin} are refused: it is not in CORS_ORIGINS.`
    : `Browser requests from origin ${origin} are refused: CORS_ORIGINS is unset, so only keygate's own origin may call the API ` +
        `from a browser. To allow this one, start keygate with CORS_ORIGINS=${origin}.`;
}

/**
 * Browsers send `Origin` on cross-origin requests (and on same-origin POSTs). A request to the API
 * from an origin that is neither keygate's own (PUBLIC_URL, or the Host it was sent to) nor one
 * CORS_ORIGINS allows is answered 403 with a message naming CORS_ORIGINS, the preflight included
 * — instead of a preflight without CORS headers, or Apollo's CSRF refusal, neither of which says
 * what to change. Requests without `Origin` (curl, scripts, servers) and same-origin pages
 * (GraphiQL, the console) are not affected. Register before @fastify/cors: this hook runs first.
 */
export function registerOriginPolicy(server: FastifyInstance, config: Config): void {
  const own = originOf(config.publicUrl);
  const listed = new Set(Array.isArray(config.corsOrigins) ? config.corsOrigins.map(originOf) : []);
  const allowed = (request: FastifyRequest, origin: string): boolean => {
    if (config.corsOrigins === '*') return true;
    const normalized = originOf(origin);
    if (normalized === null) return false;
    return normalized === own || normalized === originOf(`${request.protocol}://${request.host}`) || listed.has(normalized);
  };

  server.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (origin === undefined) return;
    if (!isApiRequest(request)) return;
    if (allowed(request, origin)) return;
    const message = corsRefusal(origin, config.corsOrigins);
    request.log.info({ origin, preflight: request.method === 'OPTIONS' }, 'cross-origin request refused');
    return reply
      .code(403)
      .header('cache-control', 'no-store')
      .header('vary', 'Origin')
      .send({
        errors: [{ message, extensions: { code: ErrorCode.FORBIDDEN, rule: ForbiddenRule.CORS_ORIGIN, origin, requestId: request.id } }],
      });
  });
}

/**
 * For the console's own POST routes (sign-in with a link, sign-out): a browser may call them only
 * from keygate's own origin, whatever CORS_ORIGINS allows the API. `Origin` (sent on every
 * cross-origin POST, forms included) must be keygate's, and `Sec-Fetch-Site`, where the browser
 * sends it, must say same-origin or none (typed, bookmarked). A page elsewhere once signed a
 * person out with a text/plain form, clearing their cookies, then sent them to its own sign-in
 * link (the attacker's review of issue 17). Null when the request may go on, else why not.
 */
export function crossSiteRefusal(request: FastifyRequest, config: Config): string | null {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `The console's sign-in routes refuse ${site} requests.`;
  const origin = request.headers.origin;
  if (origin === undefined) return null;
  const normalized = originOf(origin);
  const own = [originOf(config.publicUrl), originOf(`${request.protocol}://${request.host}`)];
  return normalized !== null && own.includes(normalized) ? null : `The console's sign-in routes refuse requests from origin ${origin}.`;
}
