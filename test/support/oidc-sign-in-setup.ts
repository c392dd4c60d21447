import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/db/embedded-postgres';
import { Role } from '../../src/kernel/access';
import { TestApp } from './harness';
import { finished, ROOT, startServerProcess, waitForOutput, type ServerProcess } from './processes';

/**
 * A real OpenID Connect provider on loopback (the oidc-provider package in its own process,
 * test/support/oidc-provider.mjs) and a keygate server process configured to sign console users
 * in through it, with ada@acme.test invited as a MEMBER. keygate runs as `npm start` does, in its
 * own process: openid-client's fetch checks do not hold inside Jest's module sandbox.
 */
export interface OidcSignInSetup {
  t: TestApp;
  issuer: string;
  keygate: string;
  server: ServerProcess;
  close(): Promise<void>;
}

export const INVITED_EMAIL = 'ada@acme.test';

export async function startOidcSignIn(): Promise<OidcSignInSetup> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'keygate-oidc-'));
  const [providerPort, keygatePort] = [await freePort(), await freePort()];
  const issuer = `http://127.0.0.1:${providerPort}`;
  const keygate = `http://127.0.0.1:${keygatePort}`;
  const provider: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    ['test/support/oidc-provider.mjs', String(providerPort), `${keygate}/console/auth/oidc/callback`],
    { cwd: ROOT },
  );
  void finished(provider, 600_000).catch(() => undefined);
  await waitForOutput(provider, `ready ${issuer}`);
  const t = await TestApp.create();
  await t.addMember(INVITED_EMAIL, Role.MEMBER);
  const server = await startServerProcess(t.databaseUrl, dataDir, {
    PORT: String(keygatePort),
    PUBLIC_URL: keygate,
    OIDC_ISSUER: issuer,
    OIDC_CLIENT_ID: 'keygate-console',
    OIDC_CLIENT_SECRET: 'keygate-console-secret',
    OIDC_AUDIENCE: 'keygate-console',
  });
  return {
    t,
    issuer,
    keygate,
    server,
    async close() {
      server.child.kill('SIGTERM');
      await server.exit;
      provider.kill('SIGTERM');
      await t.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
