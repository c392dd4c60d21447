import { QueryFailedError } from 'typeorm';

/** How keygate tells the database's failures apart: its own fault, the caller's, or a 503. */
const CONNECTION_FAILURES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P03', '08006', '08001', '08003']);
/** 57014: statement_timeout cancelled it; "Query read timeout": the client-side bound, no answer at all. */
const STATEMENT_TIMEOUT = '57014';

/** The database did not answer in time: reachable perhaps, but a statement hit its time bound. */
export function isDatabaseTimeout(error: unknown): boolean {
  const e = error as { code?: string; message?: string; driverError?: unknown } | undefined;
  if (!e) return false;
  if (e.driverError && e.driverError !== e) return isDatabaseTimeout(e.driverError);
  return e.code === STATEMENT_TIMEOUT || e.message === 'Query read timeout';
}

/** The database cannot serve this now (down, unreachable, or too slow): a 503, never a 500. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: string; message?: string; driverError?: unknown } | undefined;
  if (!e) return false;
  if (e.driverError && e.driverError !== e && isDatabaseUnavailable(e.driverError)) return true;
  if (e.code && CONNECTION_FAILURES.has(e.code)) return true;
  if (isDatabaseTimeout(e)) return true;
  return /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED|not currently accepting connections|the database system is (shutting down|starting up)/i.test(
    e.message ?? '',
  );
}

/** PostgreSQL's unique_violation (23505), e.g. a taken slug or hostname. */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof QueryFailedError && (error as QueryFailedError & { code?: string }).code === '23505';
}
