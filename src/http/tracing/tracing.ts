import { trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations, type Instrumentation } from '@opentelemetry/instrumentation';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, BatchSpanProcessor, NodeTracerProvider, ParentBasedSampler } from '@opentelemetry/sdk-trace-node';
import type { Config } from '../../kernel/config';
import { RequestSpans } from './request-spans';

/** The tracer keygate's own spans come from (the request span: request-spans.ts). */
export const TRACER_NAME = 'keygate';

export interface Tracing {
  readonly tracer: Tracer;
  /** The span of each `/graphql` request, for the route. */
  readonly requestSpans: RequestSpans;
  /** Exports every ended span now (tests wait on this, never on a timer). */
  forceFlush(): Promise<void>;
  /** Flushes, then stops exporting; the process's shutdown calls it last. */
  shutdown(): Promise<void>;
}

/**
 * OpenTelemetry, when OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT is set: a tracer provider exporting
 * OTLP/HTTP (JSON) in batches, registered globally (its AsyncLocalStorage context manager and the
 * W3C `traceparent` propagator), and two instrumentations: `pg` (every SQL statement) and
 * `ioredis` (every Redis command). Both record only under a span: the request's (SQL of usage
 * flushes, webhook jobs and heartbeats, Redis of the limiter's background sync, makes no trace).
 *
 * What a span may hold is narrowed here: pg's `enhancedDatabaseReporting` stays off (it would add
 * the statement's parameter values: key hashes, emails), and a Redis span names its command only
 * (the default serializer adds keys, which hold key ids and client IPs). No header is captured.
 *
 * The instrumentations patch `pg` and `ioredis` when they are first required, so main.ts loads
 * this (through preload.ts) before anything else.
 */
export function startTracing(options: NonNullable<Config['tracing']>): Tracing {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    // Every request is traced, and what runs under it with it. Explicit, so OTEL_TRACES_SAMPLER is
    // not read: a ratio sampler decides by trace id, which a client's traceparent chooses.
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: options.url }))],
  });
  provider.register();
  const instrumentations: Instrumentation[] = [
    new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
    new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command) => command }),
  ];
  registerInstrumentations({ tracerProvider: provider, instrumentations });
  const tracer = trace.getTracer(TRACER_NAME);
  return {
    tracer,
    requestSpans: new RequestSpans(tracer),
    forceFlush: () => provider.forceFlush(),
    async shutdown() {
      for (const instrumentation of instrumentations) instrumentation.disable();
      await provider.shutdown();
      trace.disable();
    },
  };
}
