import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fetchGql } from '../support/graphql-request';
import { TestApp } from '../support/harness';
import { attribute, OtlpReceiver } from '../support/otlp-receiver';
import { PROCESS_TIMEOUT_MS, startServerProcess, type ServerProcess } from '../support/processes';

jest.setTimeout(PROCESS_TIMEOUT_MS);

/**
 * Attacker's pass (issue 20): the trace context a client sends on the public port. Its
 * `traceparent` still makes the request part of the caller's trace (trace id, parent span id),
 * but the client decides nothing else: an unsampled flag no longer keeps its requests out of the
 * traces every other request is in, and its `tracestate` (up to 512 characters of its own text,
 * which OpenTelemetry copied onto the request span and every SQL and Redis span under it) is
 * no part of what is exported.
 */
let t: TestApp;
let receiver: OtlpReceiver;
let dataDir: string;
let server: ServerProcess;

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const MARKER = 'client-chosen-text<script>alert(1)</script>';

beforeAll(async () => {
  t = await TestApp.create();
  receiver = await OtlpReceiver.start();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'keygate-trace-context-'));
  chmodSync(dataDir, 0o755);
  server = await startServerProcess(t.databaseUrl, dataDir, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, JOBS_ENABLED: 'false' });
});
afterAll(async () => {
  if (server?.child.exitCode === null) server.child.kill('SIGKILL');
  await receiver?.close();
  await t?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

it("a client's traceparent links its request to its trace, but neither its sampled flag nor its tracestate reach the export", async () => {
  const res = await fetchGql(
    server.url,
    '{ viewer { kind } }',
    {},
    {
      'x-api-key': t.rootKey,
      'x-request-id': 'unsampled-by-the-client',
      // Flags 00: "not sampled".
      traceparent: `00-${TRACE_ID}-${PARENT_ID}-00`,
      tracestate: `attacker=${MARKER.replace(/[<>]/g, '_')},other=${'x'.repeat(200)}`,
      baggage: `marker=${encodeURIComponent(MARKER)}`,
    },
  );
  expect(res.status).toBe(200);
  server.child.kill('SIGTERM');
  expect((await server.exit).code).toBe(0);

  const spans = receiver.spans();
  const request = spans.filter((s) => attribute(s, 'keygate.request_id') === 'unsampled-by-the-client');
  expect(request).toHaveLength(1);
  expect({ traceId: request[0].traceId, parentSpanId: request[0].parentSpanId }).toEqual({ traceId: TRACE_ID, parentSpanId: PARENT_ID });
  // Its SQL (the key's verification) is under it.
  expect(spans.filter((s) => s.parentSpanId === request[0].spanId).map((s) => s.name)).toContain('pg-pool.connect');
  const payload = receiver.bodies.join('\n');
  expect(payload).not.toContain('attacker=');
  expect(payload).not.toContain('xxxxxxxx');
  expect(payload).not.toContain('marker');
});
