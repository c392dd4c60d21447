import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The header that carries a request's id, in and out (lower case, as Node gives headers). */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * An id a client or a proxy sent is kept only when it is short and made of characters that are
 * safe in a header, a log line and a URL: no CR/LF (header injection), no spaces, quotes or
 * unicode (log forging, confusables). Two headers arrive joined by ", " and are refused too.
 */
const ACCEPTED = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Fastify's `genReqId`: the incoming `x-request-id` when acceptable, else a fresh UUID (unique
 * across instances, unlike Fastify's default counter). Fastify then puts it in every log line of
 * the request (`reqId`); server.ts echoes it on every response.
 */
export function requestId(raw: IncomingMessage): string {
  const incoming = raw.headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && ACCEPTED.test(incoming) ? incoming : randomUUID();
}
