import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { packageRoot } from '../kernel/package-root';

/** Where `npm run console:build` (Vite) writes the console (the same place for src/ and the compiled dist/src/). */
export const CONSOLE_DIST = path.join(packageRoot(__dirname), 'console', 'dist');

/**
 * The console's page may run only its own scripts and talk only to this server: no inline
 * script, nothing from another origin, not framed. Its sign-in link token arrives in the URL
 * fragment, which no Referer carries, and the page sends no Referer anyway.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const YEAR_SECONDS = 365 * 24 * 3600;

/**
 * `/console/…`: the built single-page app. Hashed files under `assets/` are cached for good
 * (`immutable`); index.html and the other files are revalidated on every load (`no-cache`, with
 * ETag), so a new build shows up at once. Any other path under /console/ is a client route and
 * gets index.html — except /console/auth/*, which belongs to the sign-in routes (an unknown one
 * there is a 404, not the app).
 */
export async function registerConsoleRoutes(server: FastifyInstance, dist = CONSOLE_DIST): Promise<void> {
  // serve: false — only reply.sendFile; the routes below decide what each path is.
  // preCompressed: the .br and .gz copies the build writes (scripts/compress-console.js), by Accept-Encoding.
  await server.register(fastifyStatic, { root: dist, serve: false, preCompressed: true });

  const sendIndex = (reply: FastifyReply) => {
    reply.header('content-security-policy', CONSOLE_CSP).header('x-frame-options', 'DENY').header('referrer-policy', 'no-referrer');
    if (!existsSync(path.join(dist, 'index.html'))) {
      return reply
        .code(503)
        .header('cache-control', 'no-store')
        .type('text/plain; charset=utf-8')
        .send('The keygate console is not built. Run `npm run console:build` (npm install does it), then reload.\n');
    }
    reply.header('cache-control', 'no-cache');
    return reply.sendFile('index.html', dist, { cacheControl: false });
  };

  server.get('/console', (_request, reply) => reply.redirect('/console/', 302));
  server.get('/console/', (_request, reply) => sendIndex(reply));
  server.get<{ Params: { '*': string } }>('/console/*', (request, reply) => {
    const rest = request.params['*'];
    if (rest.startsWith('auth/') || rest.split('/').includes('..')) return reply.callNotFound();
    // A file (it has an extension): served as it is, or 404 — never the app in its place.
    if (/\.[A-Za-z0-9]+$/.test(rest)) {
      reply.header('x-content-type-options', 'nosniff');
      if (rest.startsWith('assets/')) return reply.sendFile(rest, dist, { maxAge: YEAR_SECONDS * 1000, immutable: true });
      reply.header('cache-control', 'no-cache');
      return reply.sendFile(rest, dist, { cacheControl: false });
    }
    return sendIndex(reply);
  });
}
