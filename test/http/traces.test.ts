import { ProxyTracerProvider, trace } from '@opentelemetry/api';
import { ViewerKindDocument } from '../generated/graphql';
import { tracing } from '../../src/http/tracing/preload';
import { loadConfig } from '../../src/kernel/config';
import { TestApp } from '../support/harness';

/**
 * Tracing is off unless an OTLP endpoint is set: nothing is registered and no span is made.
 * (With an endpoint, test/process/traces.test.ts runs a real process against an OTLP receiver:
 * Jest's module registry hides `pg` and `ioredis` from OpenTelemetry's require hook, and the
 * OTLP exporter's dynamic `import('http')` needs Jest's experimental VM modules.)
 */
it('with no OTLP endpoint set, registers nothing and makes no span', async () => {
  expect(loadConfig({}).tracing).toBeNull();
  expect(loadConfig({ OTEL_SERVICE_NAME: 'keygate-eu' }).tracing).toBeNull();
  expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing).toEqual({
    url: 'http://collector:4318/v1/traces',
    serviceName: 'keygate',
  });
  expect(
    loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/traces' }).tracing?.url,
  ).toBe('http://b:4318/traces');
  expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);

  expect(tracing).toBeNull();
  const t = await TestApp.create();
  try {
    expect((await t.gql(ViewerKindDocument, {})).status).toBe(200);
    // The global provider is still the API's no-op proxy, with nothing behind it.
    const provider = trace.getTracerProvider();
    expect(provider).toBeInstanceOf(ProxyTracerProvider);
    expect((provider as ProxyTracerProvider).getDelegateTracer('keygate')).toBeUndefined();
    expect(trace.getActiveSpan()).toBeUndefined();
  } finally {
    await t.close();
  }
});
