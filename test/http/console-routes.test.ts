import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { CONSOLE_CSP, CONSOLE_DIST } from '../../src/http/console.routes';
import { CreateShortLinkBareDocument } from '../generated/graphql';
import { TestApp } from '../support/harness';

/** keygate serves the built console itself: caching, the CSP, client routes, and what it leaves alone. */
let t: TestApp;

beforeAll(async () => {
  t = await TestApp.create();
});

afterAll(async () => {
  await t.close();
});

const get = (url: string) => t.app.server.inject({ method: 'GET', url });

it('/console redirects to /console/, which is the app with a CSP and no-cache', async () => {
  const bare = await get('/console');
  expect(bare.statusCode).toBe(302);
  expect(bare.headers.location).toBe('/console/');

  const page = await get('/console/');
  expect(page.statusCode).toBe(200);
  expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(page.headers['cache-control']).toBe('no-cache');
  expect(page.headers['content-security-policy']).toBe(CONSOLE_CSP);
  expect(CONSOLE_CSP).toContain("script-src 'self'");
  expect(page.headers['x-frame-options']).toBe('DENY');
  expect(page.body).toContain('<div id="root"></div>');
  // Nothing from another origin: no CDN, no web font.
  expect(page.body).not.toMatch(/(src|href)="https?:/);
});

it('client routes get index.html; hashed assets are immutable; a missing file is 404, not the app', async () => {
  const index = (await get('/console/')).body;
  for (const route of ['/console/keys', '/console/keys/0b6f3c1e-0000-4000-8000-000000000000', '/console/members']) {
    const res = await get(route);
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(index);
  }
  const script = readdirSync(path.join(CONSOLE_DIST, 'assets')).find((f) => f.endsWith('.js'))!;
  const asset = await get(`/console/assets/${script}`);
  expect(asset.statusCode).toBe(200);
  expect(asset.headers['content-type']).toBe('application/javascript; charset=utf-8');
  expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');

  expect((await get('/console/assets/index-missing.js')).statusCode).toBe(404);
  expect((await get('/console/favicon.svg')).headers['cache-control']).toBe('no-cache');
  expect((await get('/console/../package.json')).statusCode).toBe(404);
});

it('the script travels compressed: Brotli or gzip as the browser accepts, the same bytes once decoded, identity otherwise', async () => {
  const script = readdirSync(path.join(CONSOLE_DIST, 'assets')).find((f) => f.endsWith('.js'))!;
  const original = readFileSync(path.join(CONSOLE_DIST, 'assets', script));
  const fetch = (encoding?: string) =>
    t.app.server.inject({ method: 'GET', url: `/console/assets/${script}`, headers: encoding ? { 'accept-encoding': encoding } : {} });

  const br = await fetch('gzip, deflate, br');
  expect(br.statusCode).toBe(200);
  expect(br.headers['content-encoding']).toBe('br');
  expect(br.headers['content-type']).toBe('application/javascript; charset=utf-8');
  expect(br.headers.vary).toContain('accept-encoding');
  expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  expect(brotliDecompressSync(br.rawPayload).equals(original)).toBe(true);
  expect(br.rawPayload.length).toBeLessThan(original.length / 2);

  const gz = await fetch('gzip');
  expect(gz.headers['content-encoding']).toBe('gzip');
  expect(gunzipSync(gz.rawPayload).equals(original)).toBe(true);

  const plain = await fetch();
  expect(plain.headers['content-encoding']).toBeUndefined();
  expect(plain.rawPayload.equals(original)).toBe(true);
});

it('leaves /console/auth/* to the sign-in routes, and "console" is not a short link slug', async () => {
  const options = await get('/console/auth/options');
  expect(options.statusCode).toBe(200);
  expect(options.json()).toEqual({ signInLink: true, oidc: null });
  const unknown = await get('/console/auth/nothing-here');
  expect(unknown.statusCode).toBe(404);
  expect(unknown.body).not.toContain('<div id="root">');

  const res = await t.gql(CreateShortLinkBareDocument, { input: { url: 'https://example.com/', slug: 'console' } });
  expect(res.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
});
