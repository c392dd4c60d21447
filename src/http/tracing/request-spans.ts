import {
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Decision } from '../../graphql/pipeline/pipeline';
import { operationLabel, rootFields } from '../../graphql/pipeline/operation-label';
import type { StageRequest } from '../../graphql/pipeline/stage';
import { outcomeOf } from '../metrics/outcome';
import type { RequestScope } from '../request-scope';

/** A client's operation name is any text it likes: a span keeps this much of it. */
export const MAX_OPERATION_NAME = 100;

/**
 * One server span per `/graphql` request, made by keygate itself rather than by an HTTP
 * instrumentation: it starts when the request arrives (so a refusal by the limits or the
 * credentials is traced too), is the active span while the route handles the request (pg's and
 * ioredis' spans become its children), and ends when the response is sent. An incoming W3C
 * `traceparent` makes it part of the caller's trace. It carries no header, no credential and no
 * variable: the method and route, the request id, the operation (its bounded label, root fields,
 * type, and the document's operation name, cut to MAX_OPERATION_NAME), stage 2's decision, and
 * the response's status and outcome (the `outcome` of metrics).
 */
export class RequestSpans {
  private readonly spans = new WeakMap<FastifyRequest, Span>();

  constructor(private readonly tracer: Tracer) {}

  /** Fastify `onRequest`: the span starts. */
  readonly start = (request: FastifyRequest, _reply: FastifyReply, done: () => void): void => {
    const parent = callersTrace(request);
    const span = this.tracer.startSpan(
      `${request.method} /graphql`,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': request.method, 'http.route': '/graphql', 'keygate.request_id': request.id },
      },
      parent,
    );
    this.spans.set(request, span);
    done();
  };

  /** Runs the route's handler with the request's span active. */
  within<T>(request: FastifyRequest, handle: () => T): T {
    const span = this.spans.get(request);
    return span ? context.with(trace.setSpan(context.active(), span), handle) : handle();
  }

  /** The pipeline's `decided`: what was resolved and decided, on the active (the request's) span. */
  readonly decided = (request: StageRequest, decision: Decision): void => {
    const span = trace.getActiveSpan();
    if (!span) return;
    const name = request.operation?.name?.value;
    span.setAttributes({
      'keygate.decision': decision,
      'keygate.operation': operationLabel(request),
      'keygate.root_fields': [...rootFields(request)],
      ...(request.operation && { 'graphql.operation.type': request.operation.operation }),
      ...(name && { 'graphql.operation.name': name.slice(0, MAX_OPERATION_NAME) }),
    });
  };

  /** Fastify `onResponse`: the status and outcome, then the span ends. */
  end(request: FastifyRequest, reply: FastifyReply, scope: RequestScope | undefined): void {
    const span = this.spans.get(request);
    if (!span) return;
    this.spans.delete(request);
    const status = reply.statusCode;
    span.setAttributes({ 'http.response.status_code': status, 'keygate.outcome': outcomeOf(status, scope) });
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  }
}

/**
 * The caller's trace, from its W3C `traceparent`, as the request span's parent: its trace id and
 * span id only. Whoever reaches the public port sends these headers, so nothing else of them is
 * kept: the sampled flag is set (a client cannot keep its requests out of the traces every other
 * request is in), and its `tracestate` and `baggage` are dropped (OpenTelemetry copies a parent's
 * tracestate onto every span under it and exports it: client text in the collector).
 */
function callersTrace(request: FastifyRequest): Context {
  const remote = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, request.headers));
  if (!remote || !isSpanContextValid(remote)) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: remote.traceId,
    spanId: remote.spanId,
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
}
