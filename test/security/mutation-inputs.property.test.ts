import fc from 'fast-check';
import { KEYGATE } from '../../src/modules';
import { TestApp } from '../support/harness';
import { CLIENT_ACCEPT } from '../support/graphql-request';
import { ACTIONS, RESOURCES } from '../support/access';

// Literal documents: the fuzzed variables deliberately fall outside the generated variable types, and each document is sent as raw text to check the raw response body.

/**
 * Property tests over every mutation's input, sent as GraphQL variables with the root key: no
 * input yields a 500, every refusal carries a client-facing code, no response leaks a stack
 * trace or SQL, and a refused request leaves the database exactly as it was.
 */

let t: TestApp;
let rotateKeyId: string;
beforeAll(async () => {
  t = await TestApp.create({
    // No real DNS: names ending in .invalid do not resolve, everything else is one public address.
    overrides: {
      webhookLookup: async (host) => {
        if (host.endsWith('.invalid')) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
        return [{ address: '93.184.216.34', family: 4 }];
      },
    },
  });
  rotateKeyId = (await t.createKey({ stats: ['read'] }, { name: 'rotate me' })).id;
});
afterAll(() => t.close());

const NUM_RUNS = 100;
const propertyTimeout = 60_000;
const REFUSAL_CODES = ['BAD_USER_INPUT', 'CONFLICT', 'NOT_FOUND', 'FORBIDDEN'];
const LEAKS = [/\n\s+at /, /QueryFailedError/, /SELECT /, /INSERT /, /UPDATE /, /DELETE FROM/, /postgres/i, /typeorm/i, /violates/];
const TABLES = [
  'api_keys',
  'api_key_secrets',
  'short_links',
  'domains',
  'webhooks',
  'memberships',
  'audit_events',
  'webhook_events',
] as const;
type Counts = Record<(typeof TABLES)[number], number>;

async function counts(): Promise<Counts> {
  const [row] = await t.dataSource.query(`SELECT ${TABLES.map((x) => `(SELECT count(*)::int FROM ${x}) AS ${x}`).join(', ')}`);
  return row as Counts;
}

/** Successes and refusals per property, so no property passes with only one of its branches exercised. */
let tally = { ok: 0, refused: 0 };
beforeEach(() => {
  tally = { ok: 0, refused: 0 };
});
function expectBothBranches() {
  expect(tally.ok).toBeGreaterThan(0);
  expect(tally.refused).toBeGreaterThan(0);
}

interface Outcome {
  ok: boolean;
  data: any;
  code?: string;
  before: Counts;
  after: Counts;
}

/**
 * Sends one operation with variables; checks the universal properties; returns the outcome so the
 * property can add its own exact expectations for successes.
 */
async function run(query: string, variables: Record<string, unknown>): Promise<Outcome> {
  const before = await counts();
  const res = await t.app.server.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', accept: CLIENT_ACCEPT, 'x-api-key': t.rootKey },
    payload: { query, variables },
  });
  const after = await counts();
  expect(res.statusCode).not.toBe(500);
  for (const leak of LEAKS) expect(res.body).not.toMatch(leak);
  const body = JSON.parse(res.body) as { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  if (!body.errors) {
    expect(res.statusCode).toBe(200);
    tally.ok++;
    return { ok: true, data: body.data, before, after };
  }
  expect(body.errors.length).toBeGreaterThanOrEqual(1);
  for (const error of body.errors) expect(REFUSAL_CODES).toContain(error.extensions?.code);
  const code = body.errors[0].extensions!.code as string;
  // The status table of docs/errors.md: no data left → the first error's status.
  const dataLeft = body.data != null && Object.values(body.data).some((v) => v !== null);
  if (!dataLeft) expect(res.statusCode).toBe({ BAD_USER_INPUT: 400, CONFLICT: 200, NOT_FOUND: 200, FORBIDDEN: 403 }[code]);
  // A refused request changes nothing.
  expect(after).toEqual(before);
  tally.refused++;
  return { ok: false, data: body.data, code, before, after };
}

/** A success added exactly one row to `table` (and possibly audit/outbox rows), nothing else. */
function expectOneRowAdded(o: Outcome, table: (typeof TABLES)[number]) {
  expect(o.after[table]).toBe(o.before[table] + 1);
  for (const other of ['api_keys', 'short_links', 'domains', 'webhooks', 'memberships'] as const) {
    if (other !== table) expect(o.after[other]).toBe(o.before[other]);
  }
}

// ---------- generators ----------
const anyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }), // every code point, control characters and NUL included
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.string({ minLength: 200, maxLength: 200 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)), maxLength: 20 }),
  fc.constantFrom('', ' ', '   ', '\u0000', 'a\u0000b', "'; DROP TABLE api_keys; --", '%s%s%n', '${7*7}', '<script>'),
  // Lone UTF-16 surrogates: valid in a JS string and in JSON, with no UTF-8 form.
  fc.constantFrom('x\ud800y', '\udfff', 'end\ud83d', '\ude00start'),
);
const anyInteger = fc.oneof(
  fc.integer(),
  fc.integer({ min: -400, max: 400 }),
  fc.constantFrom(0, -1, 1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER),
  fc.maxSafeInteger(),
);
const permissions = fc.record(
  Object.fromEntries(
    RESOURCES.map((r) => [r, fc.oneof(fc.subarray([...ACTIONS]), fc.array(fc.constantFrom(...ACTIONS), { maxLength: 6 }))]),
  ) as Record<(typeof RESOURCES)[number], fc.Arbitrary<string[]>>,
  { requiredKeys: [] },
);
const isoDate = fc.oneof(
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.date({ min: new Date(), max: new Date(Date.now() + 3 * 365 * 86400_000), noInvalidDate: true }).map((d) => d.toISOString()),
  anyString,
);
const hostnameLike = fc.oneof(
  fc.domain(),
  fc.ipV4(),
  fc.ipV6(),
  anyString,
  fc.domain().map((d) => d.toUpperCase()),
  fc.domain().map((d) => `${d}.`),
);

// ---------- properties ----------
describe('mutation input fuzzing (root key, variables)', () => {
  it(
    'createApiKey',
    async () => {
      const doc = `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id name } } }`;
      const input = fc.record(
        {
          name: fc.oneof(anyString, fc.string({ minLength: 1, maxLength: 100 })),
          type: fc.constantFrom('BOT', 'USER', 'ADMIN', 'bot'),
          permissions: fc.oneof(permissions, fc.constant({ stats: ['read'] })),
          expiresInDays: anyInteger,
          expiresAt: isoDate,
          rateLimitPerMinute: anyInteger,
        },
        { requiredKeys: ['name', 'permissions'] },
      );
      const plausible = fc.record(
        {
          name: fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 100 }),
          permissions,
          expiresInDays: fc.integer({ min: 1, max: 365 }),
        },
        { requiredKeys: ['name', 'permissions'] },
      );
      await fc.assert(
        fc.asyncProperty(fc.oneof(input, plausible), async (v) => {
          const o = await run(doc, { input: v });
          if (o.ok) {
            expectOneRowAdded(o, 'api_keys');
            expect(t.app.keyFormat.isWellFormed(o.data.createApiKey.secret)).toBe(true);
            expect(o.after.api_key_secrets).toBe(o.before.api_key_secrets + 1);
          }
        }),
        { numRuns: NUM_RUNS },
      );
      expectBothBranches();
    },
    propertyTimeout,
  );

  it(
    'rotateApiKey(gracePeriodSeconds) over ±2^31 and beyond',
    async () => {
      const doc = `mutation($id: ID!, $g: Int) { rotateApiKey(id: $id, gracePeriodSeconds: $g) { secret apiKey { id } } }`;
      const grace = fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: -10, max: 7 * 86400 + 10 }), anyInteger);
      const id = fc.oneof(fc.constant('rotate'), fc.uuid(), anyString);
      await fc.assert(
        fc.asyncProperty(grace, id, async (g, which) => {
          const o = await run(doc, { id: which === 'rotate' ? rotateKeyId : which, g });
          if (o.ok) {
            expect(o.data.rotateApiKey.apiKey.id).toBe(rotateKeyId);
            expect(Number.isInteger(g) && g >= 0 && g <= 7 * 86400).toBe(true);
            expect(o.after.api_keys).toBe(o.before.api_keys);
            expect(o.after.api_key_secrets).toBe(o.before.api_key_secrets + 1);
          }
        }),
        { numRuns: NUM_RUNS },
      );
      expectBothBranches();
    },
    propertyTimeout,
  );

  it(
    'createShortLink',
    async () => {
      const doc = `mutation($input: CreateShortLinkInput!) { createShortLink(input: $input) { id slug url } }`;
      const input = fc.record(
        {
          url: fc.oneof(
            fc.webUrl(),
            fc.webUrl({ withQueryParameters: true, withFragments: true }),
            anyString,
            fc.constantFrom('javascript:alert(1)', 'http://u:p@x.test/', 'ftp://x.test'),
          ),
          slug: fc.oneof(anyString, fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/)),
          title: anyString,
          tags: fc.array(anyString, { maxLength: 30 }),
          domainId: fc.oneof(fc.uuid(), anyString),
        },
        { requiredKeys: ['url'] },
      );
      const plausible = fc.record(
        {
          url: fc.webUrl(),
          slug: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
          tags: fc.array(fc.stringMatching(/^[a-z]{1,10}$/), { maxLength: 5 }),
        },
        { requiredKeys: ['url'] },
      );
      await fc.assert(
        fc.asyncProperty(fc.oneof(input, plausible), async (v) => {
          const o = await run(doc, { input: v });
          if (o.ok) {
            expectOneRowAdded(o, 'short_links');
            expect(o.data.createShortLink.slug).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
            // Current behaviour (reported as a suspected contract gap): an empty slug is treated as omitted.
            if (v.slug === undefined || v.slug === '') expect(o.data.createShortLink.slug).toMatch(/^[A-Za-z0-9_-]{7}$/);
            else expect(o.data.createShortLink.slug).toBe(v.slug);
          }
        }),
        { numRuns: NUM_RUNS },
      );
      expectBothBranches();
    },
    propertyTimeout,
  );

  it(
    'createDomain',
    async () => {
      const doc = `mutation($h: String!) { createDomain(hostname: $h) { id hostname } }`;
      await fc.assert(
        fc.asyncProperty(hostnameLike, async (h) => {
          const o = await run(doc, { h });
          if (o.ok) expectOneRowAdded(o, 'domains');
        }),
        { numRuns: NUM_RUNS },
      );
      expectBothBranches();
    },
    propertyTimeout,
  );

  it(
    'createWebhook',
    async () => {
      const doc = `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { id url } } }`;
      const input = fc.record(
        {
          url: fc.oneof(
            anyString,
            fc.webUrl(),
            fc.constantFrom(
              'http://127.0.0.1:1/hook',
              'http://[::1]/x',
              'https://nowhere.invalid/x',
              'file:///etc/passwd',
              'gopher://x.test',
              'http://169.254.169.254/latest',
            ),
          ),
          events: fc.oneof(fc.array(anyString, { maxLength: 10 }), fc.subarray(KEYGATE.events.eventTypes), fc.constant([])),
          description: anyString,
        },
        { requiredKeys: ['url', 'events'] },
      );
      await fc.assert(
        fc.asyncProperty(input, async (v) => {
          const o = await run(doc, { input: v });
          if (o.ok) {
            expectOneRowAdded(o, 'webhooks');
            expect(o.data.createWebhook.secret).toMatch(/^whsec_/);
          }
        }),
        { numRuns: NUM_RUNS },
      );
      expectBothBranches();
    },
    propertyTimeout,
  );

  it(
    'addMember',
    async () => {
      const doc = `mutation($email: String!, $role: Role!) { addMember(email: $email, role: $role) { role } }`;
      const email = fc.oneof(
        fc.emailAddress(),
        anyString,
        fc.emailAddress().map((e) => e.toUpperCase()),
        fc.constant('owner@acme.test'),
      );
      const role = fc.constantFrom('OWNER', 'ADMIN', 'MEMBER', 'VIEWER', 'ROOT', 'owner');
      await fc.assert(
        fc.asyncProperty(email, role, async (e, r) => {
          const o = await run(doc, { email: e, role: r });
          if (o.ok) {
            expectOneRowAdded(o, 'memberships');
            expect(o.data.addMember.role).toBe(r);
          }
        }),
        { numRuns: NUM_RUNS },
      );
      expectBothBranches();
    },
    propertyTimeout,
  );

  it(
    'apiKeys(first:) over any integer',
    async () => {
      const doc = `query($first: Int) { apiKeys(first: $first) { nodes { id } totalCount } }`;
      await fc.assert(
        fc.asyncProperty(anyInteger, async (first) => {
          const o = await run(doc, { first });
          if (o.ok) {
            expect(first).toBeGreaterThanOrEqual(0);
            expect(o.data.apiKeys.nodes.length).toBeLessThanOrEqual(first);
            expect(o.data.apiKeys.totalCount).toBe(o.before.api_keys);
          }
          expect(o.after).toEqual(o.before);
        }),
        { numRuns: NUM_RUNS },
      );
      expectBothBranches();
    },
    propertyTimeout,
  );
});
