import type { INestApplication } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startTracing, stopTracing } from '@eddy/observability';
import { waitFor } from '@eddy/testing/wait-for';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config/eddy.config';
import { gql, SubscriptionRecorder, wsClient } from './helpers/graphql';

/**
 * One process with every role (the embedded engine, in-process projections, the tasklist), traced into an
 * in-memory exporter: a claim made through GraphQL is one trace from its command through the view write
 * and the push to a subscriber, and through the engine client's call into the engine, the transaction
 * the engine made of it and the collector's command; an HTTP request that carries a `traceparent` is part of
 * its caller's trace.
 */

interface TaskChange {
  taskChanges: {
    kind: 'SNAPSHOT' | 'UPSERTED' | 'REMOVED';
    tasks: { id: string; assignee: string | null }[];
  };
}

const alice = { id: 'alice', groups: ['accounting'] };
const carol = { id: 'carol', groups: ['clerks'] };

describe('traces in the single node', () => {
  const exporter = new InMemorySpanExporter();
  const dataDir = mkdtempSync(join(tmpdir(), 'eddy-traces-'));
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    startTracing({ serviceName: 'eddy-test' }, exporter);
    app = await createApp(
      loadConfig({
        EDDY_AUTH_MODE: 'dev',
        EDDY_DATA_DIR: dataDir,
        EDDY_BPMN_DIR: resolve(__dirname, '../bpmn'),
        EDDY_LOG_LEVEL: 'warn',
      }),
    );
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
    await stopTracing();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('follows a claim from its command to the push and through the engine back to the collector', async () => {
    const client = wsClient(url, alice);
    const list = new SubscriptionRecorder<TaskChange>(
      client,
      'subscription { taskChanges { kind tasks { id assignee } } }',
    );
    try {
      await list.next((m) => m.taskChanges.kind === 'SNAPSHOT');
      const started = await gql(
        url,
        carol,
        `mutation($v: JSON) { startProcess(processDefinitionKey: "invoice-approval", variables: $v) { processInstanceId } }`,
        { v: { invoiceNumber: 'INV-9', supplier: 'ACME', amount: 900, submitter: 'carol' } },
      );
      expect(started.errors).toBeUndefined();
      const arrived = await list.next((m) => m.taskChanges.kind === 'UPSERTED');
      const taskId = arrived.taskChanges.tasks[0].id;

      const claimed = await gql(url, alice, `mutation { claimTask(id: "${taskId}") { id assignee } }`);
      expect(claimed.errors).toBeUndefined();
      await list.next((m) => m.taskChanges.tasks.some((t) => t.id === taskId && t.assignee === 'alice'));

      const spans = () => exporter.getFinishedSpans();
      const claim = await waitFor(() => {
        const found = spans().find((s) => s.name === 'command ClaimTask');
        expect(found).toBeDefined();
        return found!;
      });
      const trace = claim.spanContext().traceId;
      const childOf = (parent: ReadableSpan, name: string) =>
        spans().find((s) => s.name === name && s.parentSpanContext?.spanId === parent.spanContext().spanId);
      const chain = await waitFor(
        () => {
          const project = childOf(claim, 'project tasks');
          const push = project && childOf(project, 'push tasks');
          const client = childOf(claim, 'engine client TaskClaimed');
          const assign = client && childOf(client, 'engine assign');
          const collect = assign && childOf(assign, 'collect transaction');
          const collected =
            collect && spans().find((s) => s.parentSpanContext?.spanId === collect.spanContext().spanId);
          const all = { project, push, client, assign, collect, collected };
          expect(Object.values(all).every(Boolean)).toBe(true);
          return all as Record<keyof typeof all, ReadableSpan>;
        },
        { timeout: 15_000 },
      );
      for (const span of Object.values(chain)) expect(span.spanContext().traceId).toBe(trace);
      // The collector's command for what the engine did, continuing the claim's trace.
      expect(chain.collected.name).toMatch(/^command /);
      expect(chain.push.attributes['eddy.document_id']).toBe(taskId);
      // The claim's correlation id on the spans of its path; the collector's on its own (the transaction id).
      const correlationId = claim.attributes['eddy.correlation_id'];
      expect(typeof correlationId).toBe('string');
      for (const span of [chain.project, chain.push, chain.client, chain.assign])
        expect(span.attributes['eddy.correlation_id']).toBe(correlationId);
      expect(chain.collect.attributes['eddy.correlation_id']).toBe(
        chain.collected.attributes['eddy.correlation_id'],
      );
    } finally {
      list.dispose();
      await client.dispose();
    }
  });

  it("continues the caller's trace of a request to the command API and of a GraphQL process start", async () => {
    const caller = (spanId: string, traceId: string) => `00-${traceId}-${spanId}-01`;
    const spans = () => exporter.getFinishedSpans();
    const reported = await fetch(`${url}/api/commands`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-user': 'billing-app',
        'x-groups': 'process-applications',
        traceparent: caller('b'.repeat(16), 'a'.repeat(32)),
      },
      body: JSON.stringify({
        commands: [
          {
            type: 'CreateOrUpdateDataEntry',
            commandId: 'traced-inv-1',
            data: {
              entryType: 'invoice',
              entryId: 'TRACED-1',
              type: 'Invoice',
              name: 'Invoice TRACED-1',
              applicationName: 'billing',
            },
          },
        ],
      }),
    });
    expect(reported.status).toBe(200);
    const command = await waitFor(() => {
      const found = spans().find((s) => s.name === 'command CreateOrUpdateDataEntry');
      expect(found).toBeDefined();
      return found!;
    });
    const request = spans().find((s) => s.spanContext().spanId === command.parentSpanContext?.spanId)!;
    expect(request.name).toBe('POST /api/commands');
    expect(request.spanContext().traceId).toBe('a'.repeat(32));
    expect(request.parentSpanContext?.spanId).toBe('b'.repeat(16));

    const started = await gql<{ startProcess: { processInstanceId: string } }>(
      url,
      carol,
      `mutation start($v: JSON) { startProcess(processDefinitionKey: "invoice-approval", variables: $v) { processInstanceId } }`,
      { v: { invoiceNumber: 'INV-10', supplier: 'ACME', amount: 90, submitter: 'carol' } },
      { traceparent: caller('d'.repeat(16), 'c'.repeat(32)) },
    );
    expect(started.errors).toBeUndefined();
    const instanceId = started.data!.startProcess.processInstanceId;
    // The engine's first transaction of the instance and the collector's commands for it are in the caller's trace.
    const collect = await waitFor(() => {
      const found = spans().find(
        (s) => s.name === 'collect transaction' && s.attributes['eddy.process_instance_id'] === instanceId,
      );
      expect(found).toBeDefined();
      return found!;
    });
    expect(collect.spanContext().traceId).toBe('c'.repeat(32));
    const graphqlRequest = spans().find(
      (s) => s.spanContext().traceId === 'c'.repeat(32) && s.parentSpanContext?.spanId === 'd'.repeat(16),
    );
    // The request's span, named after the GraphQL operation it carried.
    expect(graphqlRequest?.name).toBe('mutation start');
    expect(graphqlRequest?.attributes).toMatchObject({
      'url.path': '/graphql',
      'http.request.method': 'POST',
      'graphql.operation.type': 'mutation',
      'graphql.operation.name': 'start',
    });
  });
});
