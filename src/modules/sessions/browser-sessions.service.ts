import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { csrfTokenFor } from '../../auth/browser-sessions';
import { hashSecret } from '../../auth/key-format';

export interface SignedInPerson {
  userId: string;
  email: string;
}

export interface StartedSession {
  /** Goes into the HttpOnly cookie; only its SHA-256 is stored. */
  token: string;
  csrf: string;
  expiresAt: Date;
  userId: string;
}

/** 256 random bits, URL-safe. */
function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Who holds a live token: one constant statement per kind of token. */
const LIVE_TOKEN_HOLDER = {
  link: `SELECT u.id AS "userId", u.email FROM sign_in_links t JOIN users u ON u.id = t.user_id
          WHERE t.token_hash = $1 AND t.used_at IS NULL AND t.expires_at > now()`,
  session: `SELECT u.id AS "userId", u.email FROM browser_sessions t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now()`,
} as const;

/**
 * Console sign-ins: one-time sign-in links and the browser sessions they (or an OpenID Connect
 * sign-in) start. Tokens are random and stored only as SHA-256, like API keys, so the tables
 * hold nothing a reader of the database could sign in with.
 */
export class BrowserSessions {
  constructor(
    private readonly dataSource: DataSource,
    private readonly options: { sessionTtlSeconds: number; signInLinkTtlSeconds: number },
  ) {}

  /** A one-time link token for `userId`; the caller builds the URL around it. */
  async createSignInLink(userId: string, ttlSeconds = this.options.signInLinkTtlSeconds): Promise<{ token: string; expiresAt: Date }> {
    const token = newToken();
    const rows: { expires_at: Date }[] = await this.dataSource.query(
      `INSERT INTO sign_in_links (token_hash, user_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3)) RETURNING expires_at`,
      [hashSecret(token), userId, ttlSeconds],
    );
    return { token, expiresAt: rows[0].expires_at };
  }

  /** Whom an unused, unexpired link would sign in; the link stays unused. */
  linkHolder(linkToken: string): Promise<SignedInPerson | null> {
    return this.personBy('link', linkToken);
  }

  /** Who holds a live session token, or null. */
  sessionHolder(sessionToken: string): Promise<SignedInPerson | null> {
    return this.personBy('session', sessionToken);
  }

  /** The person a live token of this kind belongs to; the SQL is a constant per kind, only the hash is a parameter. */
  private async personBy(kind: keyof typeof LIVE_TOKEN_HOLDER, token: string): Promise<SignedInPerson | null> {
    const rows: SignedInPerson[] = await this.dataSource.query(LIVE_TOKEN_HOLDER[kind], [hashSecret(token)]);
    return rows[0] ?? null;
  }

  /**
   * Spends a sign-in link and starts a session, in one statement: two tabs racing with the same
   * link get one session between them. Null when the link is unknown, used or expired.
   */
  async signInWithLink(linkToken: string): Promise<StartedSession | null> {
    const token = newToken();
    const rows: { user_id: string; expires_at: Date }[] = await this.dataSource.query(
      `WITH spent AS (
         UPDATE sign_in_links SET used_at = now()
          WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
          RETURNING user_id)
       INSERT INTO browser_sessions (token_hash, user_id, expires_at)
       SELECT $2, user_id, now() + make_interval(secs => $3) FROM spent
       RETURNING user_id, expires_at`,
      [hashSecret(linkToken), hashSecret(token), this.options.sessionTtlSeconds],
    );
    if (!rows[0]) return null;
    await this.signedIn(rows[0].user_id);
    return { token, csrf: csrfTokenFor(token), expiresAt: rows[0].expires_at, userId: rows[0].user_id };
  }

  /** A session for a user signed in some other way (OpenID Connect). */
  async start(userId: string): Promise<StartedSession> {
    const token = newToken();
    const rows: { expires_at: Date }[] = await this.dataSource.query(
      `INSERT INTO browser_sessions (token_hash, user_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3)) RETURNING expires_at`,
      [hashSecret(token), userId, this.options.sessionTtlSeconds],
    );
    await this.signedIn(userId);
    return { token, csrf: csrfTokenFor(token), expiresAt: rows[0].expires_at, userId };
  }

  /** Signing out: the row is revoked, so a copy of the cookie stops working too. */
  async end(token: string): Promise<void> {
    await this.dataSource.query(`UPDATE browser_sessions SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL`, [
      hashSecret(token),
    ]);
  }

  /**
   * After every sign-in: the user's expired sessions and links are dropped, so neither table grows
   * without bound. (A membership is marked joined when the session first acts in its organization:
   * person.directory.ts.)
   */
  private async signedIn(userId: string): Promise<void> {
    await this.dataSource.query(
      `WITH s AS (DELETE FROM browser_sessions WHERE user_id = $1 AND expires_at < now())
       DELETE FROM sign_in_links WHERE user_id = $1 AND expires_at < now()`,
      [userId],
    );
  }
}
