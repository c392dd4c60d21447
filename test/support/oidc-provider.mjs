// A real OpenID Connect provider on loopback (the `oidc-provider` package), for the console's
// sign-in tests: authorization code + PKCE, discovery, JWKS, userinfo, and its development login
// and consent pages (any login name is accepted; the account's email is that name).
//
//   node test/support/oidc-provider.mjs <port> <redirect uri>   → prints "ready <issuer>" once listening
//
// Run as its own process: oidc-provider is ESM-only, and Jest test files are CommonJS.
import Provider from 'oidc-provider';

const [port, redirectUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'keygate-console',
      client_secret: 'keygate-console-secret',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
  ],
  // The login name is the account: "ada@acme.test" signs in as that email, verified unless the
  // name starts with "unverified".
  async findAccount(_ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: id, email_verified: !id.startsWith('unverified'), name: `Test ${id.split('@')[0]}` };
      },
    };
  },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  pkce: { required: () => true },
  cookies: { keys: ['loopback-provider-cookie-key'] },
  features: { devInteractions: { enabled: true } },
});
// Its own warnings (development keys, dev interactions) are expected here.
provider.on('server_error', (_ctx, error) => console.error('provider error', error));

provider.listen(Number(port), '127.0.0.1', () => console.log(`ready ${issuer}`));
