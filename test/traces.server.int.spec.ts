import { aCreateTaskCommand } from '@eddy/testing/command.fixtures';
import { kafkaTestTopics } from '@eddy/testing/kafka-test-topics';
import { mongoTestDatabases } from '@eddy/testing/mongo-test-databases';
import { requireServer } from '@eddy/testing/servers';
import { waitFor } from '@eddy/testing/wait-for';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { gql, SubscriptionRecorder, wsClient } from './helpers/graphql';
import { EddyProcess } from './support/eddy-process';

// One command's trace across three processes: `core,relay` on PostgreSQL (with the command topic), a
// `projector` reading the event topic, and an `api` whose live list learns of view changes from
// MongoDB change streams and which hands its users' commands to the core over the command topic; each
// exports its spans over OTLP/HTTP (JSON) to a receiver of this spec.
const postgres = requireServer('postgres');
const mongo = mongoTestDatabases('eddy_traces');
const { brokers, kafka, fresh: freshTopic } = kafkaTestTopics('eddy-traces');

interface ReceivedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  attributes: Record<string, unknown>;
}

/** The spans of OTLP/HTTP JSON export requests (`ExportTraceServiceRequest`). */
function spansOf(body: unknown): ReceivedSpan[] {
  type Attribute = { key: string; value: Record<string, unknown> };
  const valueOf = (a: Attribute) => Object.values(a.value)[0];
  const request = body as {
    resourceSpans: {
      resource: { attributes: Attribute[] };
      scopeSpans: {
        spans: {
          name: string;
          traceId: string;
          spanId: string;
          parentSpanId?: string;
          attributes: Attribute[];
        }[];
      }[];
    }[];
  };
  return request.resourceSpans.flatMap((r) => {
    const service = String(valueOf(r.resource.attributes.find((a) => a.key === 'service.name')!));
    return r.scopeSpans.flatMap((s) =>
      s.spans.map((span) => ({
        service,
        name: span.name,
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? '',
        attributes: Object.fromEntries(span.attributes.map((a) => [a.key, valueOf(a)])),
      })),
    );
  });
}

interface TaskChange {
  taskChanges: { kind: 'SNAPSHOT' | 'UPSERTED' | 'REMOVED'; tasks: { id: string }[] };
}

describe('a trace across the core, the relay, Kafka, a projector and an api process', () => {
  jest.setTimeout(300_000);

  const database = `eddy_traces_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = new Client({ connectionString: postgres.url });
  const dir = mkdtempSync(join(tmpdir(), 'eddy-traces-'));
  const received: ReceivedSpan[] = [];
  /** The first span of each name in the trace, once the receiver has them all (in the order of `names`). */
  const spansNamed = (traceId: string, names: string[]) =>
    waitFor(
      () => {
        const spans = received.filter((s) => s.traceId === traceId);
        const found = names.map((name) => spans.find((s) => s.name === name));
        expect(found.every(Boolean)).toBe(true);
        return found as ReceivedSpan[];
      },
      { timeout: 120_000, interval: 250 },
    );
  let receiver: Server;
  let core: EddyProcess;
  let projector: EddyProcess;
  let api: EddyProcess;
  let commandTopic: string;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push(...spansOf(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const otlpUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/traces`;

    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(postgres.url);
    url.pathname = `/${database}`;
    const shared = {
      EDDY_AUTH_MODE: 'dev',
      EDDY_EVENT_STORE: 'postgres',
      EDDY_POSTGRES_URL: url.toString(),
      EDDY_VIEW_STORE: 'mongodb',
      EDDY_MONGODB_URL: requireServer('mongo').url,
      EDDY_MONGODB_DATABASE: mongo.fresh(),
      EDDY_KAFKA_BROKERS: brokers.join(','),
      EDDY_KAFKA_EVENTS_TOPIC: await freshTopic(2),
      EDDY_KAFKA_PROJECTOR_GROUP: `eddy-traces-${randomUUID()}`,
      EDDY_TRACING_OTLP_URL: otlpUrl,
      EDDY_BPMN_DIR: join(dir, 'bpmn'),
    };
    commandTopic = await freshTopic(1);
    core = new EddyProcess('core,relay', {
      ...shared,
      EDDY_ROLES: 'core,relay',
      EDDY_DATA_DIR: join(dir, 'core'),
      EDDY_KAFKA_COMMANDS: 'on',
      EDDY_KAFKA_COMMAND_TOPIC: commandTopic,
      EDDY_KAFKA_COMMAND_RESULTS_TOPIC: await freshTopic(1),
      EDDY_KAFKA_COMMAND_DLQ_TOPIC: await freshTopic(1),
      EDDY_KAFKA_COMMAND_GROUP: `eddy-traces-core-${randomUUID()}`,
    });
    projector = new EddyProcess('projector', {
      ...shared,
      EDDY_ROLES: 'projector',
      EDDY_DATA_DIR: join(dir, 'projector'),
    });
    api = new EddyProcess('api', {
      ...shared,
      EDDY_ROLES: 'api',
      EDDY_DATA_DIR: join(dir, 'api'),
      EDDY_KAFKA_COMMAND_TOPIC: commandTopic,
    });
    // The core first: it creates the event store's tables.
    await core.start();
    await Promise.all([projector.start(), api.start()]);
  });

  afterAll(async () => {
    await Promise.all([core, projector, api].map((p) => p?.stop()));
    await new Promise((resolve) => receiver?.close(resolve));
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  });

  it('continues the command span through the relay and the Kafka header into the projector', async () => {
    const correlationId = `corr-${randomUUID()}`;
    const answer = await fetch(`${core.url}/api/commands`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-user': 'claims-app',
        'x-groups': 'process-applications',
        'x-correlation-id': correlationId,
      },
      body: JSON.stringify({ commands: [aCreateTaskCommand('c-trace-1', 'task-trace-1')] }),
    });
    expect(answer.status).toBe(200);

    const ofCommand = () => received.filter((s) => s.attributes['eddy.correlation_id'] === correlationId);
    const [command, relay, project] = await waitFor(
      () => {
        const spans = ofCommand();
        const found = ['command CreateTask', 'relay publish', 'project'].map((name) =>
          spans.find((s) => s.name === name),
        );
        expect(found.every(Boolean)).toBe(true);
        return found as ReceivedSpan[];
      },
      { timeout: 120_000, interval: 250 },
    );
    expect(command.service).toBe('eddy-core-relay');
    expect(relay.service).toBe('eddy-core-relay');
    expect(project.service).toBe('eddy-projector');
    // One trace: the relay's span is a child of the command's, the projector's of the relay's.
    expect(relay.traceId).toBe(command.traceId);
    expect(project.traceId).toBe(command.traceId);
    expect(relay.parentSpanId).toBe(command.spanId);
    expect(project.parentSpanId).toBe(relay.spanId);
    expect(project.attributes['eddy.event_type']).toBe('TaskCreated');
  });

  it("continues a producer's trace from the command topic to the push of the change to a subscriber of the api process", async () => {
    const clerk = wsClient(api.url, { id: 'carl', groups: ['clerks'] });
    const list = new SubscriptionRecorder<TaskChange>(
      clerk,
      'subscription { taskChanges { kind tasks { id } } }',
    );
    try {
      await list.next((m) => m.taskChanges.kind === 'SNAPSHOT', 60_000);
      // The process application's own span, as its OpenTelemetry SDK would put it in the header.
      const traceId = randomUUID().replace(/-/g, '');
      const producerSpan = randomUUID().replace(/-/g, '').slice(0, 16);
      const correlationId = `corr-${randomUUID()}`;
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({
        topic: commandTopic,
        messages: [
          {
            key: 'task-trace-2',
            value: JSON.stringify(
              aCreateTaskCommand('c-trace-2', 'task-trace-2', { candidateGroups: ['clerks'] }),
            ),
            headers: { traceparent: `00-${traceId}-${producerSpan}-01`, 'x-correlation-id': correlationId },
          },
        ],
      });
      await producer.disconnect();
      await list.next((m) => m.taskChanges.tasks.some((t) => t.id === 'task-trace-2'), 120_000);

      const [receive, command, relay, project, push] = await spansNamed(traceId, [
        'command topic receive',
        'command CreateTask',
        'relay publish',
        'project',
        'push tasks',
      ]);
      expect([receive, command, relay, project, push].map((s) => s.service)).toEqual([
        'eddy-core-relay',
        'eddy-core-relay',
        'eddy-core-relay',
        'eddy-projector',
        'eddy-api',
      ]);
      expect(receive.parentSpanId).toBe(producerSpan);
      expect(command.parentSpanId).toBe(receive.spanId);
      expect(relay.parentSpanId).toBe(command.spanId);
      expect(project.parentSpanId).toBe(relay.spanId);
      // The api process continues the projector's span from the view document's change stream.
      expect(push.parentSpanId).toBe(project.spanId);
      expect(push.attributes['eddy.document_id']).toBe('task-trace-2');
      for (const span of [receive, command, relay, project, push])
        expect(span.attributes['eddy.correlation_id']).toBe(correlationId);
    } finally {
      list.dispose();
      await clerk.dispose();
    }
  });

  it("continues the caller's trace of a GraphQL request on the api process through the command topic into the core", async () => {
    // The caller's span, as a gateway or a browser's OpenTelemetry SDK would send it.
    const traceId = randomUUID().replace(/-/g, '');
    const callerSpan = randomUUID().replace(/-/g, '').slice(0, 16);
    const claimed = await gql<{ claimTask: { id: string; assignee: string } }>(
      api.url,
      { id: 'carl', groups: ['clerks'] },
      'mutation claim($id: ID!) { claimTask(id: $id) { id assignee } }',
      { id: 'task-trace-2' },
      { traceparent: `00-${traceId}-${callerSpan}-01`, tracestate: 'gateway=1' },
    );
    expect(claimed.errors).toBeUndefined();
    expect(claimed.data?.claimTask).toEqual({ id: 'task-trace-2', assignee: 'carl' });

    const [request, handOver, receive, command] = await spansNamed(traceId, [
      'mutation claim',
      `request ${commandTopic}`,
      'command topic receive',
      'command ClaimTask',
    ]);
    expect([request, handOver, receive, command].map((s) => s.service)).toEqual([
      'eddy-api',
      'eddy-api',
      'eddy-core-relay',
      'eddy-core-relay',
    ]);
    expect(request.parentSpanId).toBe(callerSpan);
    expect(request.attributes).toMatchObject({ 'url.path': '/graphql', 'graphql.operation.name': 'claim' });
    expect(handOver.parentSpanId).toBe(request.spanId);
    expect(receive.parentSpanId).toBe(handOver.spanId);
    expect(command.parentSpanId).toBe(receive.spanId);
  });
});
