import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlibConstants, gzip } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { CSRF_COOKIE, CSRF_HEADER } from '../auth/browser-sessions';

// Anonymous on purpose: GraphiQL keeps the operation name of what was in the editor for a moment
// after an edit, so a named default ("query Me") replaced by a pasted `{ viewer … }` and run at once
// failed with "Cannot infer operation Me". An anonymous default leaves nothing stale behind.
const DEFAULT_QUERY = `# Welcome to keygate.
#
# Signed in to the console? Queries run as you. Otherwise paste an API key into the Headers tab
# below as { "x-api-key": "sk_live_…" } (a session token: "Authorization": "Bearer …"), then run:

{
  viewer {
    kind
    role
    organization { name plan }
    permissions { scopes }
  }
}
`;

/**
 * Runs before GraphiQL: requests to this server's /graphql carry the console's CSRF token, so a
 * person signed in to the console explores the API as themself. A key in the Headers tab still
 * wins (the server reads x-api-key first). Only a page of this origin can read that cookie,
 * which is the whole point of the token.
 */
const USE_CONSOLE_SESSION = `<script>
(function () {
  var send = window.fetch;
  window.fetch = function (input, init) {
    var url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url, location.href);
    var csrf = document.cookie.match(/(?:^|;\\s*)${CSRF_COOKIE}=([^;]+)/);
    if (csrf && url.origin === location.origin && url.pathname === '/graphql') {
      init = Object.assign({}, init);
      var headers = new Headers(init.headers || (input instanceof Request ? input.headers : undefined));
      if (!headers.has('${CSRF_HEADER}')) headers.set('${CSRF_HEADER}', decodeURIComponent(csrf[1]));
      init.headers = headers;
    }
    return send.call(this, input, init);
  };
})();
</script>`;

interface Page {
  etag: string;
  identity: Buffer;
  gzip: Buffer;
  br: Buffer;
}

/** The page and its compressed forms, made once: ~9 MB of HTML, ~2 MB compressed. */
async function buildPage(): Promise<Page> {
  // Required here, not at the top: the module is 9 MB of JavaScript holding the page as one string,
  // ~60 MB of RSS from the moment it loads — a server nobody opens GraphiQL on never pays it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { renderGraphiQL } = require('@graphql-yoga/render-graphiql') as typeof import('@graphql-yoga/render-graphiql');
  const html = renderGraphiQL({
    title: 'keygate GraphiQL',
    endpoint: '/graphql',
    defaultQuery: DEFAULT_QUERY,
    // Only when nothing is stored: headers a person typed survive a reload (shouldPersistHeaders).
    defaultHeaders: JSON.stringify({ 'x-api-key': '' }, null, 2),
    shouldPersistHeaders: true,
  } as Parameters<typeof renderGraphiQL>[0]).replace(/<body([^>]*)>/, `<body$1>${USE_CONSOLE_SESSION}`);
  const identity = Buffer.from(html);
  const [gzipped, br] = await Promise.all([
    promisify(gzip)(identity, { level: 6 }),
    // Quality 4: within a few percent of the best size at a twentieth of quality 11's time.
    promisify(brotliCompress)(identity, {
      params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 4, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: identity.length },
    }),
  ]);
  return { etag: `"${createHash('sha256').update(identity).digest('base64url').slice(0, 27)}"`, identity, gzip: gzipped, br };
}

/** The best encoding the client accepts (q > 0): br, then gzip, else none. */
export function pickEncoding(acceptEncoding: string | undefined): 'br' | 'gzip' | null {
  const accepted = new Map<string, number>();
  for (const part of (acceptEncoding ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find(Boolean);
    if (name) accepted.set(name, q === undefined ? 1 : Number(q));
  }
  const allows = (name: string) => (accepted.get(name) ?? accepted.get('*') ?? 0) > 0;
  return allows('br') ? 'br' : allows('gzip') ? 'gzip' : null;
}

/**
 * GraphiQL, fully self-contained (no CDN): the page embeds its own scripts and styles, so it
 * works offline and behind strict egress rules. Built and compressed on first request; served
 * with an ETag and `no-cache`, so a browser revalidates with a 304 instead of fetching 2 MB again.
 */
export function registerGraphiQL(server: FastifyInstance): void {
  let page: Promise<Page> | undefined;
  server.get('/graphiql', async (request, reply) => {
    const { etag, identity, ...compressed } = await (page ??= buildPage());
    reply.header('etag', etag).header('cache-control', 'no-cache').header('vary', 'accept-encoding');
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    const encoding = pickEncoding(request.headers['accept-encoding']);
    reply.type('text/html; charset=utf-8');
    if (!encoding) return reply.send(identity);
    return reply.header('content-encoding', encoding).send(compressed[encoding]);
  });
}
