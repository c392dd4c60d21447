import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { ViewerKindDocument } from '../generated/graphql';
import { requestBody, withRequestIdChecked } from '../support/graphql-request';
import { TEST_SESSION_SECRET, TestApp } from '../support/harness';

/**
 * Property tests over every credential header form: whatever garbage arrives, the answer is a
 * 401 UNAUTHENTICATED with a documented reason, never a 500, never a stack trace or SQL, and a
 * malformed key never costs a database query.
 */

let t: TestApp;
let otherOrgId: string;
let otherOwnerId: string;
beforeAll(async () => {
  t = await TestApp.create();
  const other = await t.createOtherOrganization('Fuzzland');
  otherOrgId = other.org.id;
  otherOwnerId = other.owner.userId;
});
afterAll(() => t.close());

const NUM_RUNS = 200;
const REASONS = [
  'MISSING',
  'MALFORMED',
  'UNSUPPORTED_SCHEME',
  'UNKNOWN',
  'REVOKED',
  'INACTIVE',
  'EXPIRED',
  'OWNER_REMOVED',
  'INVALID_SESSION',
];
const LEAKS = [/\n\s+at /, /QueryFailedError/, /SELECT /, /INSERT /, /postgres/i, /typeorm/i];

/** What Node/light-my-request accept as a header value: tab, printable ASCII, latin1 high half. */
const VALID_HEADER = /^[\t\x20-\x7e\x80-\xff]*$/;
const isValidHeader = (s: string) => VALID_HEADER.test(s);

const charFrom = (min: number, max: number) => fc.integer({ min, max }).map((c) => String.fromCharCode(c));
const printable = charFrom(0x20, 0x7e);
const latin1 = fc.oneof(charFrom(0x20, 0x7e), charFrom(0x80, 0xff), fc.constant('\t'));

const whitespace = fc.array(fc.constantFrom(' ', '\t', '\xa0'), { maxLength: 20 }).map((a) => a.join(''));
const asciiGarbage = fc.string({ unit: printable, maxLength: 120 });
const latin1Garbage = fc.string({ unit: latin1, maxLength: 120 });
const huge = fc.oneof(
  fc
    .tuple(fc.string({ unit: printable, minLength: 1, maxLength: 16 }), fc.integer({ min: 512, max: 8192 }))
    .map(([s, n]) => s.repeat(Math.ceil(n / s.length)).slice(0, n)),
  fc.integer({ min: 1024, max: 8192 }).chain((n) => fc.string({ unit: latin1, minLength: n, maxLength: n })),
);
/** Unicode strings: kept as-is when they are valid header values, else sent as their UTF-8 bytes read as latin1. */
const unicode = fc
  .string({ unit: 'grapheme', maxLength: 40 })
  .map((s) => (isValidHeader(s) ? s : Buffer.from(s, 'utf8').toString('latin1')))
  .filter(isValidHeader);
const prefixed = fc.string({ unit: printable, maxLength: 90 }).map((s) => `sk_live_${s}`);
const hexish = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: 60, maxLength: 80 }).map((s) => `sk_live_${s}`);

const garbage = fc.oneof(whitespace, asciiGarbage, latin1Garbage, huge, unicode, prefixed, hexish).filter(isValidHeader);

type Form = 'x-api-key' | 'bearer' | 'auth-x-api-key';
const FORMS: Form[] = ['x-api-key', 'bearer', 'auth-x-api-key'];
const form = fc.constantFrom(...FORMS);

function headersFor(f: Form, value: string): Record<string, string> {
  if (f === 'x-api-key') return { 'x-api-key': value };
  if (f === 'bearer') return { authorization: `Bearer ${value}` };
  return { authorization: `x-api-key ${value}` };
}

/**
 * The reason the contract (docs/errors.md, credentials.ts doc comment) gives for a request that
 * carries `headers` and no genuine key: an oracle written from the documented rules.
 */
function expectedReason(headers: Record<string, string>, sessionReason = 'INVALID_SESSION'): string {
  const keyReason = (v: string) => (t.app.keyFormat.isWellFormed(v) ? 'UNKNOWN' : 'MALFORMED');
  const apiKey = headers['x-api-key']?.trim();
  if (apiKey) return keyReason(apiKey);
  const authorization = headers.authorization?.trim();
  if (!authorization) return 'MISSING';
  const match = /^(\S+)\s+(\S+)$/.exec(authorization);
  if (!match) return 'MALFORMED';
  const [, scheme, value] = match;
  if (scheme.toLowerCase() === 'x-api-key') return keyReason(value);
  if (scheme.toLowerCase() === 'bearer') return value.startsWith('sk_live_') ? keyReason(value) : sessionReason;
  return 'UNSUPPORTED_SCHEME';
}

async function send(headers: Record<string, string>) {
  const res = await t.app.server.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', ...headers },
    payload: requestBody(ViewerKindDocument),
  });
  // extensions.requestId is checked against x-request-id, then left out: the rest is compared exactly.
  const { body } = withRequestIdChecked({ status: res.statusCode, headers: res.headers, body: JSON.parse(res.body) });
  return {
    status: res.statusCode,
    raw: res.body,
    body: body as { data?: unknown; errors?: { extensions?: Record<string, unknown> }[] },
  };
}

/** Sends, then checks everything every refused credential must satisfy; returns the reason and SQL count. */
async function refused(headers: Record<string, string>): Promise<{ reason: string; sql: number }> {
  for (const v of Object.values(headers)) expect(v.includes(t.rootKey)).toBe(false);
  const { result, count } = await t.countQueries(() => send(headers));
  expect(result.status).not.toBe(500);
  expect(result.status).toBe(401);
  for (const leak of LEAKS) expect(result.raw).not.toMatch(leak);
  expect(result.body.data ?? null).toBeNull();
  expect(result.body.errors).toHaveLength(1);
  const ext = result.body.errors![0].extensions!;
  expect(ext.code).toBe('UNAUTHENTICATED');
  expect(REASONS).toContain(ext.reason);
  expect(Object.keys(ext).sort()).toEqual(['code', 'reason']);
  return { reason: ext.reason as string, sql: count };
}

const propertyTimeout = 60_000;

describe('credential fuzzing', () => {
  it('sanity: the genuine root key is accepted in every form (the only 200)', async () => {
    for (const f of FORMS) {
      const res = await send(headersFor(f, t.rootKey));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: { viewer: { kind: 'API_KEY' } } });
    }
  });

  it(
    'garbage in x-api-key: 401 with the documented reason; MISSING/MALFORMED cost zero SQL',
    async () => {
      await fc.assert(
        fc.asyncProperty(garbage, async (value) => {
          const headers = { 'x-api-key': value };
          const { reason, sql } = await refused(headers);
          expect(reason).toBe(expectedReason(headers));
          if (!value.trim().startsWith('sk_live_')) expect(reason === 'MISSING' || reason === 'MALFORMED').toBe(true);
          if (['MISSING', 'MALFORMED', 'UNSUPPORTED_SCHEME'].includes(reason)) expect(sql).toBe(0);
        }),
        { numRuns: NUM_RUNS },
      );
    },
    propertyTimeout,
  );

  it(
    'garbage in Authorization: Bearer and Authorization: x-api-key',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom<Form>('bearer', 'auth-x-api-key'), garbage, async (f, value) => {
          const headers = headersFor(f, value);
          const { reason, sql } = await refused(headers);
          expect(reason).toBe(expectedReason(headers));
          if (['MISSING', 'MALFORMED', 'UNSUPPORTED_SCHEME'].includes(reason)) expect(sql).toBe(0);
        }),
        { numRuns: NUM_RUNS },
      );
    },
    propertyTimeout,
  );

  it(
    'arbitrary Authorization values (any scheme, any spacing)',
    async () => {
      const scheme = fc.oneof(
        fc.constantFrom('Bearer', 'bearer', 'BEARER', 'x-api-key', 'X-API-KEY', 'Basic', 'Digest', 'Token', ''),
        asciiGarbage,
      );
      const sep = fc.constantFrom(' ', '  ', '\t', '', ' \t ');
      const authorization = fc
        .oneof(
          garbage,
          fc.tuple(scheme, sep, garbage).map(([s, p, v]) => `${s}${p}${v}`),
        )
        .filter(isValidHeader);
      await fc.assert(
        fc.asyncProperty(authorization, async (value) => {
          const headers = { authorization: value };
          const { reason, sql } = await refused(headers);
          expect(reason).toBe(expectedReason(headers));
          if (['MISSING', 'MALFORMED', 'UNSUPPORTED_SCHEME'].includes(reason)) expect(sql).toBe(0);
        }),
        { numRuns: NUM_RUNS },
      );
    },
    propertyTimeout,
  );

  it(
    'near-miss keys (root key with one character changed) are MALFORMED; via x-api-key with zero SQL',
    async () => {
      const nearMiss = fc
        .tuple(fc.nat({ max: 10_000 }), fc.oneof(printable, fc.constantFrom(...'0123456789abcdefABCDEF')))
        .map(([i, ch]) => {
          const at = i % t.rootKey.length;
          return { at, ch, key: t.rootKey.slice(0, at) + ch + t.rootKey.slice(at + 1) };
        })
        .filter(({ at, ch }) => t.rootKey[at] !== ch);
      await fc.assert(
        fc.asyncProperty(form, nearMiss, async (f, { key }) => {
          expect(key).not.toBe(t.rootKey);
          expect(key).toHaveLength(t.rootKey.length);
          const headers = headersFor(f, key);
          const { reason, sql } = await refused(headers);
          expect(reason).toBe(expectedReason(headers));
          // A single changed character can never carry a valid checksum (CRC32 catches every burst ≤ 32 bits).
          expect(['MALFORMED', 'INVALID_SESSION']).toContain(reason);
          if (f === 'x-api-key') {
            expect(reason).toBe('MALFORMED');
            expect(sql).toBe(0);
          }
        }),
        { numRuns: NUM_RUNS },
      );
    },
    propertyTimeout,
  );

  it(
    'well-formed keys that were never issued are UNKNOWN in every form',
    async () => {
      await fc.assert(
        fc.asyncProperty(form, async (f) => {
          const unknown = t.app.keyFormat.generate().secret;
          expect(unknown).not.toBe(t.rootKey);
          const { reason } = await refused(headersFor(f, unknown));
          expect(reason).toBe('UNKNOWN');
        }),
        { numRuns: NUM_RUNS },
      );
    },
    propertyTimeout,
  );

  it(
    'forged, expired and misdirected session tokens are INVALID_SESSION (and keys-only forms call them MALFORMED)',
    async () => {
      const secret = new TextEncoder().encode(TEST_SESSION_SECRET);
      const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const now = () => Math.floor(Date.now() / 1000);
      const sign = (claims: Record<string, unknown>, key: Uint8Array, exp: number | string = '1h', alg = 'HS256') =>
        new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).setIssuedAt().setExpirationTime(exp).sign(key);
      const jwtKind = fc.oneof(
        fc.record({ kind: fc.constant('none' as const), sig: fc.constantFrom('', 'AAAA', 'x') }),
        fc.record({ kind: fc.constant('wrongSig' as const), secret: fc.string({ unit: printable, minLength: 32, maxLength: 64 }) }),
        fc.record({ kind: fc.constant('expired' as const), ago: fc.integer({ min: 1, max: 10 * 365 * 86400 }) }),
        fc.record({ kind: fc.constant('wrongOrg' as const), which: fc.constantFrom('otherOrg', 'randomOrg', 'otherOwner', 'randomUser') }),
        fc.record({ kind: fc.constant('junkClaims' as const), sub: asciiGarbage, org: asciiGarbage }),
        fc.record({ kind: fc.constant('tampered' as const), at: fc.nat({ max: 10_000 }) }),
      );
      await fc.assert(
        fc.asyncProperty(jwtKind, fc.constantFrom<Form>('bearer', 'bearer', 'x-api-key', 'auth-x-api-key'), async (k, f) => {
          let token: string;
          switch (k.kind) {
            case 'none':
              token = `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ sub: t.owner.userId, org: t.org.id, exp: now() + 3600 })}.${k.sig}`;
              break;
            case 'wrongSig':
              token = await sign(
                { sub: t.owner.userId, org: t.org.id },
                new TextEncoder().encode(k.secret === TEST_SESSION_SECRET ? `${k.secret}x` : k.secret),
              );
              break;
            case 'expired':
              token = await sign({ sub: t.owner.userId, org: t.org.id }, secret, now() - k.ago);
              break;
            case 'wrongOrg': {
              const claims = {
                otherOrg: { sub: t.owner.userId, org: otherOrgId },
                randomOrg: { sub: t.owner.userId, org: randomUUID() },
                otherOwner: { sub: otherOwnerId, org: t.org.id },
                randomUser: { sub: randomUUID(), org: t.org.id },
              }[k.which];
              token = await sign(claims, secret);
              break;
            }
            case 'junkClaims':
              token = await sign({ sub: k.sub, org: k.org }, secret);
              break;
            case 'tampered': {
              const good = await t.sessions.sign({ userId: t.owner.userId, orgId: t.org.id });
              // Not the last character: its low bits are base64url padding, which a lenient decoder may ignore.
              const at = k.at % (good.length - 1);
              const replacement = good[at] === 'A' ? 'B' : 'A';
              token = good.slice(0, at) + (good[at] === '.' ? '.' : replacement) + good.slice(at + 1);
              if (token === good) token = `${good}x`;
              break;
            }
          }
          const headers = headersFor(f, token);
          const { reason, sql } = await refused(headers);
          expect(reason).toBe(f === 'bearer' ? 'INVALID_SESSION' : 'MALFORMED');
          if (f !== 'bearer') expect(sql).toBe(0);
        }),
        { numRuns: NUM_RUNS },
      );
    },
    propertyTimeout,
  );
});
