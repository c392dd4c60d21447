import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import type { FastifyInstance } from 'fastify';

const DEFAULT_QUERY = `# Welcome to keygate.
#
# Paste your API key into the Headers tab below as
#   { "x-api-key": "sk_live_…" }
# (a session token goes in as "Authorization": "Bearer …"), then run:

query Me {
  viewer {
    kind
    organization { name plan }
    permissions { scopes }
  }
}
`;

/**
 * GraphiQL, fully self-contained (no CDN): the page embeds its own scripts and styles, so it
 * works offline and behind strict egress rules. Rendered once, on first request.
 */
export function registerGraphiQL(server: FastifyInstance): void {
  let html: string | undefined;
  server.get('/graphiql', async (_request, reply) => {
    html ??= renderGraphiQL({
      title: 'keygate GraphiQL',
      endpoint: '/graphql',
      defaultQuery: DEFAULT_QUERY,
      headers: JSON.stringify({ 'x-api-key': '' }, null, 2),
      shouldPersistHeaders: true,
    });
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html);
  });
}
