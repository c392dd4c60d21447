import { ClientCreateKeyDocument, CreateShortLinkIdDocument } from '../generated/graphql';
import { listen } from '../support/browser';
import { expectOk } from '../support/expect';
import { TestApp } from '../support/harness';

/**
 * One running keygate on a loopback port, seen by a GraphQL client nobody here wrote: five keys
 * to page through, three short links, and the keys each error class needs.
 */
export interface ClientWorld {
  t: TestApp;
  url: string;
  /** Every scope. */
  root: string;
  /** shortLinks:read without stats:read: `clicks` is refused on every row. */
  noStats: string;
  /** stats:read only: `apiKeys` is refused. */
  statsOnly: string;
  /** One request per minute: the second is 429. */
  limited: string;
  /** The five keys named "client page N", newest first (the list's order). */
  pageIds: string[];
  close(): Promise<void>;
}

export async function startClientWorld(): Promise<ClientWorld> {
  // Limits on (each client sends a few dozen requests, far below the plan's 60 a minute), local counts.
  const t = await TestApp.create({ env: { RATE_LIMITS_ENABLED: 'true', REDIS_URL: '' } });
  const url = `${await listen(t)}/graphql`;
  const pageIds: string[] = [];
  for (let i = 1; i <= 5; i++) pageIds.unshift((await t.createKey({ stats: ['read'] }, { name: `client page ${i}` })).id);
  for (const slug of ['client-a', 'client-b', 'client-c'])
    expectOk(await t.gql(CreateShortLinkIdDocument, { input: { url: `https://example.com/${slug}`, slug } }));
  const limited = expectOk(
    await t.gql(ClientCreateKeyDocument, { input: { name: 'limited', permissions: { stats: ['read'] }, rateLimitPerMinute: 1 } }),
  ).createApiKey.secret;
  return {
    t,
    url,
    root: t.rootKey,
    noStats: (await t.createKey({ shortLinks: ['read'] })).secret,
    statsOnly: (await t.createKey({ stats: ['read'] })).secret,
    limited,
    pageIds,
    close: () => t.close(),
  };
}
