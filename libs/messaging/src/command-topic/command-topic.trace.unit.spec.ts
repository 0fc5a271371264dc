import { afterEach, describe, expect, it } from '@jest/globals';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import type { CommandDispatcher, CommandResult, CommandWithMetadata } from '@eddy/contracts';
import {
  currentCorrelationId,
  startTracing,
  stopTracing,
  traceparentOf,
  withSpan,
} from '@eddy/observability';
import { aCreateTaskCommand } from '@eddy/testing';
import { CommandTopicHandler, type ReceivedCommandMessage } from './command-topic.handler';

afterEach(() => stopTracing());

const PRODUCER_TRACE = 'a1'.repeat(16);
const PRODUCER_SPAN = 'b2'.repeat(8);
const producerTraceparent = `00-${PRODUCER_TRACE}-${PRODUCER_SPAN}-01`;

/** A core that records, for each command, the trace and correlation id it was handled in. */
function recordingCore() {
  const seen: { command: CommandWithMetadata; traceparent?: string; correlationId?: string }[] = [];
  const dispatcher: CommandDispatcher = {
    dispatch: (command) =>
      // As the core does: the command span inside whatever the caller opened.
      withSpan(`command ${command.type}`, { correlationId: command.metadata.correlationId }, async () => {
        seen.push({ command, traceparent: traceparentOf(), correlationId: currentCorrelationId() });
        return {
          commandId: command.metadata.commandId,
          status: 'accepted',
          streamId: 'task-t-1',
          revision: 0,
          position: 1,
        } satisfies CommandResult;
      }),
  };
  return { dispatcher, seen };
}

function handlerWith(dispatcher: CommandDispatcher, warnings: string[] = []) {
  return new CommandTopicHandler(
    dispatcher,
    { send: async () => undefined },
    {
      resultsTopic: 'results',
      repliesTopic: 'replies',
      deadLetterTopic: 'dlq',
      limits: { maxMessageBytes: 4_096, maxPayloadDepth: 16 },
      backoff: { initialDelayMs: 1, maxDelayMs: 2 },
      userId: 'kafka:commands',
    },
    { log: () => undefined, warn: (line) => void warnings.push(line), error: () => undefined },
  );
}

function message(headers: ReceivedCommandMessage['headers']): ReceivedCommandMessage {
  return {
    topic: 'commands',
    partition: 1,
    offset: '9',
    key: Buffer.from('t-1'),
    value: Buffer.from(JSON.stringify(aCreateTaskCommand('c-1', 't-1'))),
    timestamp: String(Date.parse('2026-12-01T10:00:00Z')),
    headers,
  };
}

describe('the trace of a command topic message', () => {
  it("continues the producer's traceparent header through the receive span into the command span", async () => {
    const exporter = new InMemorySpanExporter();
    startTracing({ serviceName: 'eddy-test' }, exporter);
    const core = recordingCore();
    await handlerWith(core.dispatcher).handle(
      message({ traceparent: Buffer.from(producerTraceparent), 'x-correlation-id': Buffer.from('corr-7') }),
    );
    const [command, receive] = exporter.getFinishedSpans();
    expect(receive.name).toBe('command topic receive');
    expect(receive.spanContext().traceId).toBe(PRODUCER_TRACE);
    expect(receive.parentSpanContext?.spanId).toBe(PRODUCER_SPAN);
    expect(receive.attributes['messaging.destination.name']).toBe('commands');
    expect(command.name).toBe('command CreateTask');
    expect(command.parentSpanContext?.spanId).toBe(receive.spanContext().spanId);
    for (const span of [receive, command]) expect(span.attributes['eddy.correlation_id']).toBe('corr-7');
    expect(core.seen[0].traceparent).toBe(`00-${PRODUCER_TRACE}-${command.spanContext().spanId}-01`);
  });

  it('logs a traceparent that is not W3C trace context, starts a new trace and still handles the command', async () => {
    const exporter = new InMemorySpanExporter();
    startTracing({ serviceName: 'eddy-test' }, exporter);
    const core = recordingCore();
    const warnings: string[] = [];
    await handlerWith(core.dispatcher, warnings).handle(message({ traceparent: Buffer.from('00-nonsense') }));
    expect(core.seen).toHaveLength(1);
    expect(warnings).toEqual([
      'COMMAND-TOPIC-013 message commands[1]@9: header traceparent "00-nonsense" is not one W3C trace context; its command starts a new trace',
    ]);
    const receive = exporter.getFinishedSpans().find((s) => s.name === 'command topic receive')!;
    expect(receive.parentSpanContext).toBeUndefined();
    expect(receive.spanContext().traceId).not.toBe(PRODUCER_TRACE);
  });

  it('handles the command in the correlation scope of its message with tracing off, and reads no trace header', async () => {
    const core = recordingCore();
    const warnings: string[] = [];
    await handlerWith(core.dispatcher, warnings).handle(message({ traceparent: Buffer.from('00-nonsense') }));
    expect(core.seen[0]).toMatchObject({ traceparent: undefined, correlationId: 'c-1' });
    expect(warnings).toEqual([]);
  });
});
