import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { startTracing, stopTracing, withSpan } from '@eddy/observability';
import { Camunda8RestStub } from '@eddy/testing/camunda8-rest.stub';
import { waitFor } from '@eddy/testing/wait-for';
import type { EngineTransaction } from '../engine.port';
import { Camunda8ProcessEngine } from './camunda8.engine';

// The adapter's traces against the stub of Camunda 8.8's REST API (not Camunda, which cannot run here):
// a listener job is a span whose context its transaction carries, and a call made inside a span sends
// that span's traceparent header through the SDK.

const ORDER = readFileSync(join(__dirname, 'fixtures', 'order-fulfilment.bpmn'), 'utf8');

describe('Camunda8ProcessEngine traces', () => {
  const exporter = new InMemorySpanExporter();
  let stub: Camunda8RestStub;
  let dataDir: string;
  let engine: Camunda8ProcessEngine;

  beforeEach(async () => {
    // Before the adapter opens: it hands the SDK its traced fetch only when tracing is on.
    startTracing({ serviceName: 'eddy-test' }, exporter);
    stub = await Camunda8RestStub.start();
    dataDir = mkdtempSync(join(tmpdir(), 'eddy-camunda8-traces-'));
    engine = Camunda8ProcessEngine.open({
      sdkConfig: stub.sdkConfig,
      dataDir,
      pollTimeoutMs: 200,
      resyncIntervalMs: 0,
    });
  });

  afterEach(async () => {
    await engine.close();
    await stub.close();
    await stopTracing();
    exporter.reset();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('handles a listener job in a span its transaction continues, and sends the traceparent of a traced call', async () => {
    const delivered: EngineTransaction[] = [];
    engine.onTransaction(async (tx) => void delivered.push(tx));
    await engine.deploy({ xml: ORDER, resourceName: 'order-fulfilment.bpmn' });
    await engine.startProcessInstance({
      definitionKey: 'order-fulfilment',
      variables: { submitter: 'carol' },
    });

    const created = await waitFor(() => {
      const tx = delivered.find((t) => t.events.some((e) => e.type === 'task.created'));
      expect(tx).toBeDefined();
      return tx!;
    });
    const job = await waitFor(() => {
      const span = exporter.getFinishedSpans().find((s) => s.name === 'camunda8 listener job creating');
      expect(span).toBeDefined();
      return span!;
    });
    const { traceId, spanId } = job.spanContext();
    expect(created.traceparent).toBe(`00-${traceId}-${spanId}-01`);
    expect(job.attributes['eddy.correlation_id']).toBe(created.id);
    // The job's completion is made in its span; polls and calls outside a span carry no trace.
    await waitFor(() =>
      expect(stub.tracedRequests).toContainEqual({
        request: expect.stringMatching(/^POST \/jobs\/\d+\/completion$/),
        traceparent: created.traceparent,
      }),
    );
    expect(stub.tracedRequests.every((r) => /^POST \/jobs\/\d+\/completion$/.test(r.request))).toBe(true);

    const taskId = (created.events.find((e) => e.type === 'task.created') as { task: { id: string } }).task
      .id;
    await stub.until(() => stub.userTask(taskId)?.state === 'CREATED', `task ${taskId} to be CREATED`);
    await withSpan('engine assign', { kind: 'client' }, () => engine.assignTask(taskId, 'ann'));
    const assign = exporter.getFinishedSpans().find((s) => s.name === 'engine assign')!;
    expect(stub.tracedRequests).toContainEqual({
      request: `POST /user-tasks/${taskId}/assignment`,
      traceparent: `00-${assign.spanContext().traceId}-${assign.spanContext().spanId}-01`,
    });
  });
});
