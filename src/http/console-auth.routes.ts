import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CSRF_COOKIE, CSRF_HEADER, csrfMatches, SESSION_COOKIE } from '../auth/browser-sessions';
import type { BrowserSessions, StartedSession } from '../modules/sessions/browser-sessions.service';
import type { UserPrincipals } from '../auth/user-principals';
import type { Config } from '../kernel/config';
import { UnauthenticatedError } from '../kernel/errors';
import type { OidcSignIn, OidcTransaction } from './oidc-sign-in';
import { crossSiteRefusal } from './origin-policy';

export interface ConsoleAuthDeps {
  config: Config;
  sessions: BrowserSessions;
  users: UserPrincipals;
  /** Present when OIDC_ISSUER and OIDC_CLIENT_ID are set. */
  oidc: OidcSignIn | null;
}

const OIDC_COOKIE = 'keygate_oidc';
const OIDC_PATH = '/console/auth/oidc';
const OIDC_TRANSACTION_SECONDS = 600;

/** Where a console sign-in may land: a console path, never another site (no open redirect). */
export function safeReturnTo(value: unknown): string {
  return typeof value === 'string' && /^\/console(\/[\w\-./]*)?$/.test(value) && !value.includes('..') ? value : '/console/';
}

function refusal(reason: string, message: string) {
  return { error: { code: 'UNAUTHENTICATED', reason, message } };
}

/**
 * The console's sign-in and sign-out (`/console/auth/*`). A sign-in ends in two cookies: the
 * session (HttpOnly, SameSite=Strict, Secure in production: scripts cannot read it, other sites
 * cannot send it) and its CSRF token (readable by the console, which echoes it in
 * `x-keygate-csrf`). The GraphQL API accepts the session only with that header (auth/credentials.ts).
 */
export function registerConsoleAuthRoutes(server: FastifyInstance, deps: ConsoleAuthDeps): void {
  const { config, sessions, oidc } = deps;
  const cookieBase: CookieSerializeOptions = { path: '/', sameSite: 'strict', secure: config.isProduction };

  const setSession = (reply: FastifyReply, session: StartedSession) => {
    // The row's expiry is the real limit; the cookie lasts as long (the server's clock may differ by a second).
    const maxAge = config.session.consoleTtlSeconds;
    reply.setCookie(SESSION_COOKIE, session.token, { ...cookieBase, httpOnly: true, maxAge });
    reply.setCookie(CSRF_COOKIE, session.csrf, { ...cookieBase, httpOnly: false, maxAge });
  };

  server.get('/console/auth/options', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return {
      signInLink: true,
      oidc: oidc ? { label: oidc.label, startUrl: `${OIDC_PATH}/start` } : null,
    };
  });

  // The link's token travels in the URL fragment (never sent to a server or kept in its logs) and
  // reaches here in a JSON body: a cross-site form cannot send JSON, so nobody can be signed in
  // to someone else's account by a page they visit.
  // Both POST routes answer only pages on keygate's own origin (origin-policy.ts says why).
  const sameOriginOnly = async (request: FastifyRequest, reply: FastifyReply) => {
    const refused = crossSiteRefusal(request, config);
    if (refused)
      return reply
        .code(403)
        .header('cache-control', 'no-store')
        .send({ error: { code: 'FORBIDDEN', message: refused } });
  };

  server.post<{ Body: unknown }>('/console/auth/sign-in-link', { preHandler: sameOriginOnly }, async (request, reply) => {
    const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as { token?: unknown; switch?: unknown };
    const { token } = body;
    if (typeof token !== 'string' || token.length === 0 || token.length > 100) {
      return reply.code(400).send({ error: { code: 'BAD_REQUEST', message: 'Send {"token": "<the sign-in link token>"} as JSON.' } });
    }
    const switching = await switchRefusal(request, token, body.switch === true);
    if (switching) return reply.code(switching.status).send(switching.body);
    const session = await sessions.signInWithLink(token);
    if (!session) {
      request.log.info({ reason: 'INVALID_SIGN_IN_LINK' }, 'console sign-in refused');
      return reply
        .code(401)
        .send(
          refusal(
            'INVALID_SIGN_IN_LINK',
            'This sign-in link was already used or has expired. Ask for a new one: npm run cli -- sign-in-link --email <you>',
          ),
        );
    }
    setSession(reply, session);
    request.log.info({ userId: session.userId }, 'console sign-in (link)');
    return reply.code(204).send();
  });

  /**
   * A link never replaces the session of another person silently (issue 17: a page that sent a
   * signed-in owner to `/console/#sign-in=<the attacker's link>` switched them to the attacker's
   * account). Such a request is answered 409 with both people's emails and the link left unused;
   * the console asks, and only `"switch": true` with the current session's CSRF header (proof the
   * console itself sent it) ends that session and spends the link.
   */
  const switchRefusal = async (request: FastifyRequest, token: string, confirmed: boolean) => {
    const current = request.cookies[SESSION_COOKIE];
    if (!current) return null;
    const [holder, signedIn] = await Promise.all([sessions.linkHolder(token), sessions.sessionHolder(current)]);
    if (!holder || !signedIn || holder.userId === signedIn.userId) return null;
    if (!confirmed) {
      return {
        status: 409,
        body: {
          error: {
            code: 'CONFLICT',
            reason: 'SIGNED_IN_AS_SOMEONE_ELSE',
            message: `This sign-in link is for ${holder.email}, and you are signed in as ${signedIn.email}. Nothing has changed; send "switch": true to sign in as ${holder.email}.`,
            link: { email: holder.email },
            signedIn: { email: signedIn.email },
          },
        },
      };
    }
    const csrf = request.headers[CSRF_HEADER];
    if (!csrfMatches(current, typeof csrf === 'string' ? csrf : undefined)) {
      return {
        status: 401,
        body: refusal('CSRF', 'Switching accounts needs the x-keygate-csrf header, equal to the keygate_csrf cookie.'),
      };
    }
    await sessions.end(current);
    request.log.info({ from: signedIn.userId, to: holder.userId }, 'console sign-in switches person');
    return null;
  };

  server.post('/console/auth/sign-out', { preHandler: sameOriginOnly }, async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    // Without a session there is nothing to end, and no cookie is touched: clearing cookies on
    // request is what let another site sign a person out before sending them to its link.
    if (!token) return reply.code(204).send();
    const csrf = request.headers[CSRF_HEADER];
    if (!csrfMatches(token, typeof csrf === 'string' ? csrf : undefined)) {
      return reply.code(401).send(refusal('CSRF', 'Signing out needs the x-keygate-csrf header, equal to the keygate_csrf cookie.'));
    }
    await sessions.end(token);
    reply.clearCookie(SESSION_COOKIE, cookieBase).clearCookie(CSRF_COOKIE, cookieBase);
    return reply.code(204).send();
  });

  if (oidc) registerOidcRoutes(server, deps, oidc, setSession);
}

function registerOidcRoutes(
  server: FastifyInstance,
  deps: ConsoleAuthDeps,
  oidc: OidcSignIn,
  setSession: (reply: FastifyReply, session: StartedSession) => void,
): void {
  // SameSite=Lax: the provider sends the browser back with a top-level GET from its own site.
  const transactionCookie: CookieSerializeOptions = {
    path: OIDC_PATH,
    sameSite: 'lax',
    secure: deps.config.isProduction,
    httpOnly: true,
    maxAge: OIDC_TRANSACTION_SECONDS,
  };
  const fail = (request: FastifyRequest, reply: FastifyReply, publicMessage: string, cause: unknown) => {
    request.log.warn({ cause: cause instanceof UnauthenticatedError ? cause.detail : String(cause) }, 'console sign-in (OIDC) refused');
    reply.clearCookie(OIDC_COOKIE, transactionCookie);
    return reply.redirect(`/console/#sign-in-error=${encodeURIComponent(publicMessage)}`);
  };

  server.get<{ Querystring: { returnTo?: string } }>(`${OIDC_PATH}/start`, async (request, reply) => {
    let started;
    try {
      started = await oidc.start(safeReturnTo(request.query.returnTo));
    } catch (error) {
      return fail(request, reply, `The identity provider ${oidc.label} cannot be reached; try again later.`, error);
    }
    reply.setCookie(OIDC_COOKIE, Buffer.from(JSON.stringify(started.transaction)).toString('base64url'), transactionCookie);
    reply.header('cache-control', 'no-store');
    return reply.redirect(started.url);
  });

  server.get(`${OIDC_PATH}/callback`, async (request, reply) => {
    const transaction = readTransaction(request.cookies[OIDC_COOKIE]);
    if (!transaction)
      return fail(request, reply, 'The sign-in took too long or was started elsewhere; start again.', 'no transaction cookie');
    const query = request.url.slice(request.url.indexOf('?') + 1);
    let userId: string;
    try {
      userId = await deps.users.identify(await oidc.finish(request.url.includes('?') ? query : '', transaction));
    } catch (error) {
      const notMember = error instanceof UnauthenticatedError;
      return fail(
        request,
        reply,
        notMember
          ? `${oidc.label} signed you in, but you are not a member of any keygate organization yet: ask an owner to invite your email.`
          : `Sign-in with ${oidc.label} failed; try again.`,
        error,
      );
    }
    setSession(reply, await deps.sessions.start(userId));
    reply.clearCookie(OIDC_COOKIE, transactionCookie);
    request.log.info({ userId }, 'console sign-in (OIDC)');
    return reply.redirect(transaction.returnTo);
  });
}

function readTransaction(cookie: string | undefined): OidcTransaction | null {
  if (!cookie) return null;
  try {
    const value = JSON.parse(Buffer.from(cookie, 'base64url').toString('utf8')) as Partial<OidcTransaction>;
    if (typeof value.verifier !== 'string' || typeof value.state !== 'string' || typeof value.nonce !== 'string') return null;
    return { verifier: value.verifier, state: value.state, nonce: value.nonce, returnTo: safeReturnTo(value.returnTo) };
  } catch {
    return null;
  }
}
