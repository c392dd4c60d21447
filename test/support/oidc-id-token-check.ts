// Run by test/auth/oidc-id-token.test.ts in plain Node (openid-client is ESM-only: Jest cannot
// import it): one code flow whose ID token is signed by the provider's key, one whose token is
// signed by another key under the same kid. Prints what each gave, as one JSON line.
import { generateKeyPair } from 'jose';
import { OidcSignIn } from '../../src/http/oidc-sign-in';
import { LoopbackIdentityProvider } from './identity-provider';

async function main() {
  const idp = await LoopbackIdentityProvider.start();
  const signIn = new OidcSignIn(
    {
      issuer: idp.issuer,
      audience: 'keygate',
      client: { id: 'keygate', redirectUrl: 'http://127.0.0.1:1/console/auth/oidc/callback', scopes: 'openid email' },
      claims: { email: 'email', emailVerified: 'email_verified', name: 'name', org: 'org' },
    },
    true,
  );
  const attempt = async (sign: (nonce: string) => Promise<string>) => {
    const { transaction } = await signIn.start('/console/');
    idp.nextIdToken = await sign(transaction.nonce);
    try {
      return { ok: await signIn.finish(`code=the-code&state=${transaction.state}`, transaction) };
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
      return { refused: error instanceof Error ? `${error.message}${cause}` : String(error) };
    }
  };
  const claims = (nonce: string) => ({ sub: 'person-1', nonce, email: 'person@example.com', email_verified: true });
  const { privateKey: otherKey } = await generateKeyPair('RS256');
  const signed = await attempt((nonce) => idp.token(claims(nonce)));
  const forged = await attempt((nonce) => idp.token(claims(nonce), { key: otherKey }));
  await idp.close();
  process.stdout.write(`${JSON.stringify({ issuer: idp.issuer, signed, forged })}\n`);
}

void main();
