import { GraphQLError } from 'graphql';

/**
 * The one error vocabulary of keygate. Every error a client can see carries one of these codes
 * in `extensions.code`; the HTTP status that goes with each code lives in this file too, so the
 * response status is decided from one table (see graphql/http-status.plugin.ts), never ad hoc.
 */
export enum ErrorCode {
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  NOT_FOUND = 'NOT_FOUND',
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  /** The request itself is unusable (e.g. a persisted-query hash that does not match its query). */
  BAD_REQUEST = 'BAD_REQUEST',
  RATE_LIMITED = 'RATE_LIMITED',
  CONFLICT = 'CONFLICT',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
  SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE',
}

/** Status used when an error leaves a response with no data at all. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.NOT_FOUND]: 200,
  [ErrorCode.BAD_USER_INPUT]: 400,
  [ErrorCode.BAD_REQUEST]: 400,
  [ErrorCode.RATE_LIMITED]: 429,
  [ErrorCode.CONFLICT]: 200,
  [ErrorCode.INTERNAL_SERVER_ERROR]: 500,
  [ErrorCode.SERVICE_UNAVAILABLE]: 503,
};

/** Why a request could not be authenticated; sent as `extensions.reason`. */
export enum AuthFailureReason {
  MISSING = 'MISSING',
  MALFORMED = 'MALFORMED',
  UNKNOWN = 'UNKNOWN',
  REVOKED = 'REVOKED',
  INACTIVE = 'INACTIVE',
  EXPIRED = 'EXPIRED',
  /** The secret was replaced by a rotation (its grace period, if any, is over); the key itself lives on. */
  ROTATED = 'ROTATED',
  OWNER_REMOVED = 'OWNER_REMOVED',
  INVALID_SESSION = 'INVALID_SESSION',
  /** A console cookie without the matching x-keygate-csrf header. */
  CSRF = 'CSRF',
  /** An Authorization scheme other than Bearer or x-api-key (Basic, say). */
  UNSUPPORTED_SCHEME = 'UNSUPPORTED_SCHEME',
}

const AUTH_FAILURE_MESSAGES: Record<AuthFailureReason, string> = {
  MISSING: 'No credentials: send an API key in x-api-key or a session token as Authorization: Bearer <token>.',
  MALFORMED: 'The API key is malformed (wrong prefix, length or checksum).',
  UNKNOWN: 'The API key is not known.',
  REVOKED: 'The API key has been revoked.',
  INACTIVE: 'The API key is inactive.',
  EXPIRED: 'The API key has expired.',
  ROTATED: 'This secret of the API key was rotated out; use the key\u2019s current secret.',
  OWNER_REMOVED: 'The owner of this user key is no longer a member of the organization.',
  INVALID_SESSION: 'The session is invalid or has expired; sign in again.',
  CSRF: 'A console session needs the x-keygate-csrf header, equal to the keygate_csrf cookie.',
  UNSUPPORTED_SCHEME:
    'Unsupported Authorization scheme: send the API key as "x-api-key: <key>" or "Authorization: Bearer <key>", a session token as "Authorization: Bearer <token>".',
};

/**
 * Base class: code and default HTTP status travel together. Services throw these; they know
 * nothing of GraphQL beyond this class, which keeps the error shape identical everywhere.
 */
export class AppError extends GraphQLError {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extensions } });
    this.code = code;
  }
  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }
}

export class UnauthenticatedError extends AppError {
  /**
   * Why, for the log only: the public answer keeps one reason per kind (a session that fails for
   * any cause is INVALID_SESSION, so probing learns nothing), while operators see the cause.
   */
  readonly detail?: string;
  constructor(
    readonly reason: AuthFailureReason,
    detail?: string,
  ) {
    // `http` is set here because authentication fails in the context function, before any
    // resolver runs; Apollo uses it for the response status of that whole request.
    super(ErrorCode.UNAUTHENTICATED, AUTH_FAILURE_MESSAGES[reason], { reason, http: { status: 401 } });
    this.detail = detail;
  }
}

/**
 * Refusals that are rules rather than missing scopes: the caller may hold every scope involved
 * and still be refused, so naming a scope in `required` would mislead. Stable names, sent as
 * `extensions.rule`.
 */
export enum ForbiddenRule {
  /** Only the user a USER key acts for may rotate it: the new secret would act as them. */
  USER_KEY_OWNER_ONLY = 'USER_KEY_OWNER_ONLY',
  /** USER keys act for a person, so only a signed-in person can create one. */
  USER_KEY_NEEDS_SESSION = 'USER_KEY_NEEDS_SESSION',
  /** Making, demoting or removing an owner takes an owner (a session or the owner's USER key). */
  OWNER_ONLY = 'OWNER_ONLY',
  /** Nobody grants what they do not hold; `required` lists what the grant would need. */
  NO_ESCALATION = 'NO_ESCALATION',
  /** A webhook receives an event's data only if its subscriber may read that data. */
  EVENT_NEEDS_READ = 'EVENT_NEEDS_READ',
  /** A browser page on an origin CORS_ORIGINS does not allow (http/origin-policy.ts). */
  CORS_ORIGIN = 'CORS_ORIGIN',
}

/**
 * `required` lists every scope the principal lacks for what it asked (always a list, also when
 * it is one scope); `rule` names a rule refusal (see ForbiddenRule).
 */
export class ForbiddenError extends AppError {
  constructor(
    details: { required: readonly string[]; rule?: ForbiddenRule } | { rule: ForbiddenRule },
    message?: string,
    /** Only for refusals made before execution, which decide the response status themselves. */
    options: { httpStatus?: number } = {},
  ) {
    const required = 'required' in details ? [...details.required] : undefined;
    super(ErrorCode.FORBIDDEN, message ?? `Missing permission${required && required.length > 1 ? 's' : ''} ${required?.join(', ')}.`, {
      ...(required ? { required } : {}),
      ...(details.rule ? { rule: details.rule } : {}),
      ...(options.httpStatus ? { http: { status: options.httpStatus } } : {}),
    });
  }
}

export class NotFoundError extends AppError {
  constructor(what: string) {
    super(ErrorCode.NOT_FOUND, `${what} not found.`);
  }
}

/**
 * Why a change conflicts with the object's state, where a client may want to tell the cases apart
 * (the refusal would change nothing, or the state forbids it). Stable names, sent as `extensions.rule`
 * like ForbiddenRule, and as `rule` in `viewerCan.reasons`.
 */
export enum ConflictRule {
  /** A revoked key cannot be changed, rotated, enabled or disabled: revocation is permanent. */
  KEY_REVOKED = 'KEY_REVOKED',
  /** Revoking a revoked key would change nothing; its first revocation's record stands. */
  ALREADY_REVOKED = 'ALREADY_REVOKED',
  /** Enabling an ACTIVE key would change nothing. */
  ALREADY_ACTIVE = 'ALREADY_ACTIVE',
  /** Disabling an INACTIVE key would change nothing. */
  ALREADY_INACTIVE = 'ALREADY_INACTIVE',
}

export class ConflictError extends AppError {
  constructor(message: string, rule?: ConflictRule) {
    super(ErrorCode.CONFLICT, message, rule ? { rule } : {});
  }
}

/** `fields` maps an input path (e.g. `input.expiresAt`) to a message about that field. */
export class BadUserInputError extends AppError {
  constructor(
    readonly fields: Record<string, string>,
    message?: string,
  ) {
    super(ErrorCode.BAD_USER_INPUT, message ?? Object.values(fields).join(' '), { fields });
  }
}

type Checked<T extends Record<string, () => unknown>> = { [K in keyof T]: ReturnType<T[K]> };

/**
 * Runs every check of one input, even after one fails, and refuses with one BadUserInputError
 * naming every bad field: a form marks them all at once instead of one per round trip.
 */
export function checkInput<T extends Record<string, () => unknown>>(checks: T): Checked<T> {
  const values: Record<string, unknown> = {};
  let fields: Record<string, string> | null = null;
  for (const [name, check] of Object.entries(checks)) {
    try {
      values[name] = check();
    } catch (error) {
      if (!(error instanceof BadUserInputError)) throw error;
      fields = Object.assign(fields ?? {}, error.fields);
    }
  }
  if (fields) throw new BadUserInputError(fields);
  return values as Checked<T>;
}

/** The HTTP request itself is unusable (a Host header that is not a host, say). */
export class BadRequestError extends AppError {
  readonly statusCode = 400;
  constructor(message: string) {
    super(ErrorCode.BAD_REQUEST, message, { http: { status: 400 } });
  }
}

/**
 * Input nested past the limit (kernel/input-nesting.ts), refused before anything walks it. It may
 * be raised by the body parser, outside GraphQL, so it carries Fastify's `statusCode` as well.
 */
export class InputTooDeepError extends AppError {
  readonly statusCode = 400;
  constructor(what: string, depth: number, max: number) {
    super(ErrorCode.BAD_USER_INPUT, `${what} nests ${depth} levels deep; the limit is ${max}.`, {
      limit: 'nesting',
      max,
      http: { status: 400 },
    });
  }
}

export class RateLimitedError extends AppError {
  constructor(retryAfterSeconds: number, message = 'Rate limit exceeded; retry after the time in Retry-After.') {
    // Raised before the operation runs, so it sets the response status itself.
    super(ErrorCode.RATE_LIMITED, message, { retryAfter: retryAfterSeconds, http: { status: 429 } });
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(message = 'The database is unreachable; try again shortly.') {
    super(ErrorCode.SERVICE_UNAVAILABLE, message, { http: { status: 503 } });
  }
}
