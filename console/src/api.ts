import type { TypedDocumentString } from './generated/graphql';

/** The console's cookies and headers (src/auth/browser-sessions.ts on the server). */
const CSRF_COOKIE = 'keygate_csrf';
const ORG_STORAGE = 'keygate.organization';

export interface GqlError {
  message: string;
  extensions?: { code?: string; reason?: string; required?: string[]; rule?: string };
}

/** A refusal or failure, with the API's own message (shown to the person as it is). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

export function csrfToken(): string | null {
  const match = document.cookie.match(new RegExp(`(?:^|;\\s*)${CSRF_COOKIE}=([^;]+)`));
  return match ? decodeURIComponent(match[1]) : null;
}

export function chosenOrganization(): string | null {
  return localStorage.getItem(ORG_STORAGE);
}

export function chooseOrganization(id: string | null): void {
  if (id) localStorage.setItem(ORG_STORAGE, id);
  else localStorage.removeItem(ORG_STORAGE);
}

/** Called when the session is gone (401): the app shows the sign-in page. */
let onSignedOut: () => void = () => undefined;
export function whenSignedOut(callback: () => void): void {
  onSignedOut = callback;
}

export interface Result<T> {
  data: T | null;
  errors: GqlError[];
}

/** One GraphQL operation as the signed-in person: session cookie + CSRF header (+ organization). */
export async function request<T, V>(document: TypedDocumentString<T, V>, variables?: V): Promise<Result<T>> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-keygate-csrf': csrfToken() ?? '' };
  const org = chosenOrganization();
  if (org) headers['x-keygate-org'] = org;
  const response = await fetch('/graphql', {
    method: 'POST',
    headers,
    credentials: 'same-origin',
    body: JSON.stringify({ query: document.toString(), variables: variables ?? {} }),
  });
  let body: { data?: T | null; errors?: GqlError[] };
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`keygate answered ${response.status} without a GraphQL response.`, response.status);
  }
  const errors = body.errors ?? [];
  if (response.status === 401) {
    onSignedOut();
    throw new ApiError(errors[0]?.message ?? 'Your session has ended; sign in again.', 401, 'UNAUTHENTICATED');
  }
  if (!body.data && errors.length) throw new ApiError(errors[0].message, response.status, errors[0].extensions?.code);
  return { data: body.data ?? null, errors };
}

/** A change: any error is a failure, with the API's message. */
export async function mutate<T, V>(document: TypedDocumentString<T, V>, variables?: V): Promise<T> {
  const { data, errors } = await request(document, variables);
  if (errors.length || !data) throw new ApiError(errors[0]?.message ?? 'No answer.', 200, errors[0]?.extensions?.code);
  return data;
}

export interface AuthOptions {
  signInLink: boolean;
  oidc: { label: string; startUrl: string } | null;
}

export async function authOptions(): Promise<AuthOptions> {
  const response = await fetch('/console/auth/options');
  return response.json();
}

/** What exchanging a sign-in link gave: a session, a refusal, or a question (the link is for someone else). */
export type LinkSignIn =
  { kind: 'signed-in' } | { kind: 'refused'; message: string } | { kind: 'confirm-switch'; linkEmail: string; signedInEmail: string };

/**
 * Exchanges a one-time sign-in link's token for a browser session. When another person is signed
 * in here, the server leaves the link unused and says who each is; `confirmSwitch` (after the
 * person chose to) sends `"switch": true` with the current session's CSRF header.
 */
export async function signInWithLink(token: string, confirmSwitch = false): Promise<LinkSignIn> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (confirmSwitch) headers['x-keygate-csrf'] = csrfToken() ?? '';
  const response = await fetch('/console/auth/sign-in-link', {
    method: 'POST',
    headers,
    body: JSON.stringify(confirmSwitch ? { token, switch: true } : { token }),
  });
  if (response.status === 204) return { kind: 'signed-in' };
  const body = (await response.json().catch(() => ({}))) as {
    error?: { message?: string; reason?: string; link?: { email: string }; signedIn?: { email: string } };
  };
  const error = body.error;
  if (response.status === 409 && error?.reason === 'SIGNED_IN_AS_SOMEONE_ELSE' && error.link && error.signedIn) {
    return { kind: 'confirm-switch', linkEmail: error.link.email, signedInEmail: error.signedIn.email };
  }
  return { kind: 'refused', message: error?.message ?? `Sign-in failed (${response.status}).` };
}

export async function signOut(): Promise<void> {
  await fetch('/console/auth/sign-out', { method: 'POST', headers: { 'x-keygate-csrf': csrfToken() ?? '' } });
}
