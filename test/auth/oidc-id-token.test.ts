import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * The console's code flow checks the ID token's signature against the provider's keys, not only
 * its claims: openid-client trusts the TLS channel to the token endpoint unless told otherwise,
 * and outside production that channel may be plain HTTP (the dependency review of issue 17).
 * openid-client is ESM-only, so the flow runs in plain Node (test/support/oidc-id-token-check.ts).
 */
it('a token signed with the provider’s key signs in; the same claims signed with another key under the same kid are refused', async () => {
  const root = path.resolve(__dirname, '..', '..');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--require', 'ts-node/register/transpile-only', 'test/support/oidc-id-token-check.ts'],
    { cwd: root, env: { ...process.env, TS_NODE_PROJECT: path.join(root, 'tsconfig.json') } },
  );
  const result = JSON.parse(stdout);
  expect(result.signed).toEqual({
    ok: expect.objectContaining({
      kind: 'external',
      issuer: result.issuer,
      subject: 'person-1',
      email: 'person@example.com',
      emailVerified: true,
    }),
  });
  expect(result.forged.refused).toMatch(/signature/i);
});
