import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../db/errors';
import type { Config } from '../kernel/config';
import { AppError, ServiceUnavailableError } from '../kernel/errors';
import { jsonNestingBeyond, nestingError } from '../kernel/input-nesting';
import type { Drain } from './drain';
import { isApiRequest, registerOriginPolicy } from './origin-policy';
import { REQUEST_ID_HEADER, requestId } from './request-id';

/** Headers that carry secrets; never logged. */
export const REDACTED_PATHS = ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie', '*.secret'];

/** A request slower than this is logged even when ACCESS_LOG=errors. */
const SLOW_REQUEST_MS = 1_000;

/** Requests larger than this are refused (413) before anything parses them. */
const BODY_LIMIT_BYTES = 100 * 1024;

/**
 * Fastify with keygate's HTTP policy: body limit, trusted proxies, CORS and error answers; every
 * response closes its connection while `drain` is active.
 */
export async function createHttpServer(config: Config, drain: Drain, logger?: boolean | Record<string, unknown>): Promise<FastifyInstance> {
  const server = Fastify({
    logger: logger ?? { level: config.logLevel, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: config.trustProxy,
    logController: new AccessLog(config.accessLog),
    // The id is ours to check (request-id.ts), so Fastify must not take the header as it is.
    requestIdHeader: false,
    genReqId: requestId,
  });

  // Every response names its request, whatever answers it (a route, a refusal, the 404 handler,
  // an error): registered first, so the header is set before any other hook can refuse.
  // The same hook closes connections during a drain (drain.ts): no second hook per request.
  server.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    if (drain.active) reply.header('connection', 'close');
    done();
  });

  // Fastify's own JSON parser (prototype poisoning refused), after a linear depth check: JSON
  // nested past MAX_NESTING is a 400 before anything recursive walks it.
  const parseJson = server.getDefaultJsonParser('error', 'error');
  server.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const depth = jsonNestingBeyond(body as string);
    if (depth !== null) return done(nestingError('The JSON body', depth), undefined);
    return parseJson(request, body as string, done);
  });

  // The console's session cookie (auth/credentials.ts reads it, with its CSRF header).
  await server.register(cookie);

  // Browsers may call the API only from keygate's own origin and CORS_ORIGINS (none by default);
  // any other origin gets a 403 that names CORS_ORIGINS, preflight included.
  registerOriginPolicy(server, config);
  if (config.corsOrigins) {
    await server.register(cors, {
      origin: config.corsOrigins === '*' ? '*' : config.corsOrigins,
      methods: ['GET', 'POST', 'OPTIONS'],
      allowedHeaders: ['content-type', 'authorization', 'x-api-key', 'x-keygate-org', 'apollo-require-preflight'],
      exposedHeaders: ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'retry-after', REQUEST_ID_HEADER],
      maxAge: 600,
    });
  }
  // Outside GraphQL (redirects, health, body parsing): client errors keep their status and
  // message; an unreachable database is a bare 503; anything else a bare 500, logged here.
  server.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const status = error instanceof AppError ? error.httpStatus : (error.statusCode ?? 500);
    // keygate's own refusals on the GraphQL route are answered as GraphQL errors, code and all.
    if (status < 500 && error instanceof AppError && isApiRequest(request)) {
      const { http: _http, ...extensions } = error.extensions as Record<string, unknown>;
      return reply.code(status).send({ errors: [{ message: error.message, extensions: { ...extensions, requestId: request.id } }] });
    }
    if (status < 500) return reply.code(status).send({ error: error.message });
    if (isDatabaseUnavailable(error) || error instanceof ServiceUnavailableError) {
      return reply.code(503).type('text/plain; charset=utf-8').send('Service unavailable\n');
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).type('text/plain; charset=utf-8').send('Internal server error\n');
  });
  return server;
}

/**
 * Fastify's own two lines per request serialise the whole request and reply. Instead: one line at
 * info when the request completes — `all` of them, or (the default) only failed (status ≥ 400) or
 * slow ones; nothing when it starts. The path only: a GET's query string may carry a document
 * and its variables.
 */
class AccessLog extends LogController {
  constructor(private readonly mode: Config['accessLog']) {
    super();
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.mode === 'off') return;
    const ms = reply.elapsedTime;
    if (!error && this.mode === 'errors' && reply.statusCode < 400 && ms < SLOW_REQUEST_MS) return;
    const at = request.url.indexOf('?');
    const entry = {
      method: request.method,
      path: at < 0 ? request.url : request.url.slice(0, at),
      status: reply.statusCode,
      ms: Math.round(ms),
    };
    if (error) reply.log.error({ ...entry, err: error }, 'request errored');
    else reply.log.info(entry, 'request');
  }
}
