import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { TransactionCollector } from '@eddy/collector/collector/transaction.collector';
import { EmbeddedProcessEngine } from '@eddy/collector/engine/embedded/embedded.engine';
import type { CommandDispatcher } from '@eddy/contracts';
import { startTracing, stopTracing, traceparentOf, withSpan } from '@eddy/observability';
import { PAYMENT_PROCESS } from '@eddy/testing/engine.contract.bpmn';
import { kafkaTestTopics } from '@eddy/testing/kafka-test-topics';
import { waitFor } from '@eddy/testing/wait-for';
import { KafkaEngineRequests } from '../request-reply/kafka-engine.requests';
import { KafkaRequester } from '../request-reply/kafka.requester';
import { EngineRequestsConsumer } from './engine-requests.consumer';

/**
 * A process start made on an api process goes over the real broker to the collector process's consumer,
 * traced into one in-memory exporter: the requester's span, the collector's handling of the request, the
 * embedded engine's transaction and the collector's commands for it are one trace.
 */
describe('the trace of a request to the engine over Kafka', () => {
  const { brokers, fresh } = kafkaTestTopics('eddy-test-engine-requests-trace');
  const exporter = new InMemorySpanExporter();
  const dataDir = mkdtempSync(join(tmpdir(), 'eddy-engine-requests-trace-'));
  /** The trace context each command reached the core in. */
  const dispatched: { type: string; traceparent?: string }[] = [];
  /** The core as the collector sees it: accepts every command. */
  const core: CommandDispatcher = {
    dispatch: async (command) => (
      dispatched.push({ type: command.type, traceparent: traceparentOf() }),
      {
        commandId: command.metadata.commandId,
        status: 'accepted',
        streamId: `stream-${command.metadata.commandId}`,
        revision: 0,
        position: 1,
      }
    ),
  };
  let engine: EmbeddedProcessEngine;
  let collector: TransactionCollector;
  let consumer: EngineRequestsConsumer;
  let requester: KafkaRequester;
  let topic: string;

  beforeAll(async () => {
    startTracing({ serviceName: 'eddy-test' }, exporter);
    topic = await fresh(1);
    const repliesTopic = await fresh(1);
    engine = await EmbeddedProcessEngine.open({ dataDir: join(dataDir, 'engine'), durability: 'normal' });
    await engine.deploy(PAYMENT_PROCESS);
    collector = new TransactionCollector(engine, core, { applicationName: 'shop' });
    collector.start();
    consumer = new EngineRequestsConsumer(engine, {
      brokers,
      topic,
      repliesTopic,
      groupId: `eddy-test-collector-${topic}`,
      dataDir,
    });
    consumer.onApplicationBootstrap();
    requester = new KafkaRequester({ brokers, repliesTopic, timeoutMs: 60_000 });
    requester.start();
    await Promise.all([consumer.ready, requester.ready]);
  });

  afterAll(async () => {
    await requester?.stop();
    await consumer?.beforeApplicationShutdown();
    collector?.stop();
    await engine?.close();
    await stopTracing();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("continues the requester's trace in the collector, the engine's transaction and the collector's commands", async () => {
    const engineRequests = new KafkaEngineRequests(requester, topic);
    const started = await withSpan('POST /graphql', { kind: 'server' }, () =>
      engineRequests.startProcessInstance({
        definitionKey: PAYMENT_PROCESS.key,
        startUserId: 'carl',
        variables: { orderId: 'o-1' },
      }),
    );
    const spans = () => exporter.getFinishedSpans();
    const named = (name: string) => spans().find((s) => s.name === name);
    const childOf = (parent: ReadableSpan, name: string) =>
      spans().find((s) => s.name === name && s.parentSpanContext?.spanId === parent.spanContext().spanId);
    const chain = await waitFor(
      () => {
        const caller = named('POST /graphql');
        const request = caller && childOf(caller, `request ${topic}`);
        const receive = request && childOf(request, 'engine request receive');
        const collect = receive && childOf(receive, 'collect transaction');
        const all = { caller, request, receive, collect };
        expect(Object.values(all).every(Boolean)).toBe(true);
        return all as Record<keyof typeof all, ReadableSpan>;
      },
      { timeout: 30_000 },
    );
    const traceId = chain.caller.spanContext().traceId;
    for (const span of Object.values(chain)) expect(span.spanContext().traceId).toBe(traceId);
    expect(chain.collect.attributes['eddy.process_instance_id']).toBe(started.instanceId);
    expect(chain.receive.attributes['messaging.destination.name']).toBe(topic);
    expect(chain.request.attributes['eddy.request_id']).toEqual(expect.any(String));
    const { spanId } = chain.collect.spanContext();
    expect(dispatched.map((d) => d.type)).toContain('StartProcessInstance');
    for (const command of dispatched) expect(command.traceparent).toBe(`00-${traceId}-${spanId}-01`);
  });
});
