import { afterEach, describe, expect, it } from '@jest/globals';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Decider } from '@eddy/contracts';
import { MemoryEventStore, type StoredEvent } from '@eddy/eventstore';
import { handleCommand } from '@eddy/eventstore/handle-command';
import { startSpan, startTracing, stopTracing, traceparentOf, withSpan } from '@eddy/observability';
import { decodeEventMessage, EVENT_HEADERS, eventMessage, traceparentOfEventMessage } from './event-message';

const noted: Decider<{ text: string }, { type: 'Noted'; data: { text: string } }, null> = {
  initialState: () => null,
  evolve: (state) => state,
  decide: (command) => [{ type: 'Noted', data: { text: command.text } }],
};
const metadata = { commandId: 'c-1', correlationId: 'corr-1', timestamp: '2026-12-01T00:00:00Z' };
const options = { maxRetries: 1, schemaVersionOf: () => 1 };

/** A message as the consumer receives it: headers as buffers. */
function received(message: ReturnType<typeof eventMessage>) {
  return {
    key: Buffer.from(message.key as string),
    value: Buffer.from(message.value as string),
    headers: Object.fromEntries(
      Object.entries(message.headers ?? {}).map(([k, v]) => [k, Buffer.from(String(v))]),
    ),
  };
}

afterEach(() => stopTracing());

describe('a trace through the event metadata and the Kafka headers', () => {
  it('goes from the command to the appended events, the relay span in the header and the projector span', async () => {
    const exporter = new InMemorySpanExporter();
    startTracing({ serviceName: 'eddy-test' }, exporter);
    const store = new MemoryEventStore();
    await withSpan('command Note', { correlationId: 'corr-1' }, () =>
      handleCommand(store, noted, 'note-1', { text: 'hello' }, metadata, options),
    );
    const [command] = exporter.getFinishedSpans();
    const [event] = await store.readStream('note-1');
    const { traceId, spanId } = command.spanContext();
    expect(event.metadata.traceparent).toBe(`00-${traceId}-${spanId}-01`);

    // The relay: a producer span continuing the event's trace, its own context in the header.
    const relaySpan = startSpan('relay publish', {
      parent: event.metadata.traceparent,
      correlationId: event.metadata.correlationId,
      kind: 'producer',
    })!;
    const message = received(eventMessage(event, traceparentOf(relaySpan)));
    relaySpan.end();
    expect(message.headers[EVENT_HEADERS.traceparent].toString()).toBe(
      `00-${traceId}-${relaySpan.spanContext().spanId}-01`,
    );

    // The projector: decodes as before, and continues from the header.
    const decoded = decodeEventMessage(message);
    expect(decoded.kind).toBe('event');
    const consumed = (decoded as { event: StoredEvent }).event;
    const projectSpan = startSpan('project', {
      parent: traceparentOfEventMessage(message.headers, consumed),
      correlationId: consumed.metadata.correlationId,
      kind: 'consumer',
    })!;
    projectSpan.end();
    const [, relay, project] = exporter.getFinishedSpans();
    expect(relay.parentSpanContext?.spanId).toBe(spanId);
    expect(project.spanContext().traceId).toBe(traceId);
    expect(project.parentSpanContext?.spanId).toBe(relay.spanContext().spanId);
    for (const span of [command, relay, project])
      expect(span.attributes['eddy.correlation_id']).toBe('corr-1');
  });

  it('falls back on the event metadata when a message has no traceparent header', () => {
    const traced: StoredEvent = {
      id: 'e-1',
      streamId: 'note-1',
      revision: 0,
      position: 1,
      type: 'Noted',
      schemaVersion: 1,
      data: {},
      metadata: { ...metadata, traceparent: `00-${'c'.repeat(32)}-${'d'.repeat(16)}-01` },
    };
    const message = received(eventMessage(traced));
    expect(message.headers[EVENT_HEADERS.traceparent]).toBeUndefined();
    expect(traceparentOfEventMessage(message.headers, traced)).toBe(traced.metadata.traceparent);
  });

  it('writes no trace context with tracing off', async () => {
    const store = new MemoryEventStore();
    await withSpan('command Note', { correlationId: 'corr-1' }, () =>
      handleCommand(store, noted, 'note-2', { text: 'hello' }, { ...metadata, commandId: 'c-2' }, options),
    );
    const [event] = await store.readStream('note-2');
    expect(event.metadata).not.toHaveProperty('traceparent');
    expect(eventMessage(event).headers).not.toHaveProperty(EVENT_HEADERS.traceparent);
  });
});
