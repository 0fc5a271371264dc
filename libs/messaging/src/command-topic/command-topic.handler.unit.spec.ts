import type { Message } from 'kafkajs';
import { afterEach, describe, expect, it } from '@jest/globals';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import {
  currentCorrelationId,
  startTracing,
  stopTracing,
  traceparentOf,
  withSpan,
} from '@eddy/observability';
import type { CommandDispatcher, CommandResult, CommandWithMetadata } from '@eddy/contracts';
import { aCreateTaskCommand } from '@eddy/testing';
import {
  CommandTopicHandler,
  type CommandTopicLog,
  type ReceivedCommandMessage,
} from './command-topic.handler';

const accepted = (command: CommandWithMetadata): CommandResult => ({
  commandId: command.metadata.commandId,
  status: 'accepted',
  streamId: 'task-t-1',
  revision: 0,
  position: 7,
});
const unavailable = (command: CommandWithMetadata): CommandResult => ({
  commandId: command.metadata.commandId,
  status: 'rejected',
  streamId: 'task-t-1',
  error: { code: 'EVENT_STORE_UNAVAILABLE', message: 'the event store cannot be read' },
});

/** A core that answers with `answers` in turn (a function answers, an Error is thrown), then accepts. */
function scriptedCore(answers: ((c: CommandWithMetadata) => CommandResult | Error)[]) {
  const received: CommandWithMetadata[] = [];
  const dispatcher: CommandDispatcher = {
    dispatch: async (command) => {
      received.push(command);
      const answer = (answers.shift() ?? accepted)(command);
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  return { dispatcher, received };
}

function recordingPublisher() {
  const sent: { topic: string; message: Message }[] = [];
  return {
    sent,
    on: (topic: string) => sent.filter((s) => s.topic === topic).map((s) => s.message),
    send: async (record: { topic: string; messages: Message[] }) => {
      for (const message of record.messages) sent.push({ topic: record.topic, message });
    },
  };
}

const silentLog = { log: () => undefined, warn: () => undefined, error: () => undefined };

function handlerWith(
  dispatcher: CommandDispatcher,
  publisher: ReturnType<typeof recordingPublisher>,
  log: CommandTopicLog = silentLog,
) {
  return new CommandTopicHandler(
    dispatcher,
    publisher,
    {
      resultsTopic: 'results',
      repliesTopic: 'replies',
      deadLetterTopic: 'dlq',
      limits: { maxMessageBytes: 4_096, maxPayloadDepth: 16 },
      backoff: { initialDelayMs: 1, maxDelayMs: 2 },
      userId: 'kafka:commands',
    },
    log,
  );
}

const received = (value: Buffer | string | null, offset = '5'): ReceivedCommandMessage => ({
  topic: 'commands',
  partition: 2,
  offset,
  key: Buffer.from('t-1'),
  value: typeof value === 'string' ? Buffer.from(value) : value,
  timestamp: String(Date.parse('2026-11-22T10:00:00Z')),
  headers: {},
});
const body = (message: Message) => JSON.parse(String(message.value));

describe('CommandTopicHandler', () => {
  it('hands a command to the core with the metadata of the topic and publishes its result keyed by the command id', async () => {
    const core = scriptedCore([]);
    const publisher = recordingPublisher();
    await handlerWith(core.dispatcher, publisher).handle(
      received(JSON.stringify(aCreateTaskCommand('c-1', 't-1'))),
    );
    expect(core.received[0].metadata).toEqual({
      commandId: 'c-1',
      correlationId: 'c-1',
      userId: 'kafka:commands',
      timestamp: '2026-11-22T10:00:00.000Z',
    });
    expect(publisher.on('dlq')).toEqual([]);
    const [result] = publisher.on('results');
    expect(result.key).toBe('c-1');
    expect(body(result)).toEqual({
      commandId: 'c-1',
      status: 'accepted',
      streamId: 'task-t-1',
      revision: 0,
      position: 7,
    });
  });

  it('tries a command again while the event store is unavailable or the core fails, and never dead-letters it', async () => {
    const core = scriptedCore([unavailable, () => new Error('connection reset'), unavailable]);
    const publisher = recordingPublisher();
    let heartbeats = 0;
    await handlerWith(core.dispatcher, publisher).handle(
      received(JSON.stringify(aCreateTaskCommand('c-1', 't-1'))),
      {
        heartbeat: async () => void heartbeats++,
      },
    );
    expect(core.received).toHaveLength(4);
    expect(heartbeats).toBe(3);
    expect(publisher.on('dlq')).toEqual([]);
    expect(publisher.on('results').map(body)).toEqual([expect.objectContaining({ status: 'accepted' })]);
  });

  it('rejects without publishing anything when stopped while it waits to try again', async () => {
    const abort = new AbortController();
    const core = scriptedCore([
      (command) => {
        abort.abort();
        return unavailable(command);
      },
    ]);
    const publisher = recordingPublisher();
    await expect(
      handlerWith(core.dispatcher, publisher).handle(
        received(JSON.stringify(aCreateTaskCommand('c-1', 't-1'))),
        {
          signal: abort.signal,
        },
      ),
    ).rejects.toThrow('EVENT_STORE_UNAVAILABLE');
    expect(publisher.sent).toEqual([]);
  });

  it("publishes the core's rejection as the command's result, not as a dead letter", async () => {
    const core = scriptedCore([
      (command) => ({
        commandId: command.metadata.commandId,
        status: 'rejected',
        streamId: 'task-t-1',
        error: { code: 'TASK_CLOSED', message: 'task t-1 is completed' },
      }),
    ]);
    const publisher = recordingPublisher();
    await handlerWith(core.dispatcher, publisher).handle(
      received(JSON.stringify(aCreateTaskCommand('c-1', 't-1'))),
    );
    expect(publisher.on('dlq')).toEqual([]);
    expect(publisher.on('results').map(body)).toEqual([
      expect.objectContaining({
        status: 'rejected',
        error: { code: 'TASK_CLOSED', message: 'task t-1 is completed' },
      }),
    ]);
  });

  it('dead-letters a message that is not JSON with the error and its origin, without asking the core', async () => {
    const core = scriptedCore([]);
    const publisher = recordingPublisher();
    await handlerWith(core.dispatcher, publisher).handle(received('not json', '41'));
    expect(core.received).toEqual([]);
    expect(publisher.on('results')).toEqual([]);
    const [letter] = publisher.on('dlq');
    expect(String(letter.value)).toBe('not json');
    expect(String(letter.key)).toBe('t-1');
    expect(letter.headers).toMatchObject({
      'eddy-error-code': 'INVALID_JSON',
      'eddy-error-message': expect.stringContaining('not JSON'),
      'eddy-original-topic': 'commands',
      'eddy-original-partition': '2',
      'eddy-original-offset': '41',
    });
  });

  it('dead-letters invalid data and answers its command id with the rejection naming the field', async () => {
    const core = scriptedCore([]);
    const publisher = recordingPublisher();
    const command = aCreateTaskCommand('c-9', 't-9', { priority: 'high' });
    await handlerWith(core.dispatcher, publisher).handle(received(JSON.stringify(command)));
    expect(core.received).toEqual([]);
    expect(publisher.on('dlq')[0].headers).toMatchObject({
      'eddy-error-code': 'INVALID_COMMAND',
      'eddy-error-path': 'data.priority',
    });
    expect(publisher.on('results').map(body)).toEqual([
      expect.objectContaining({
        commandId: 'c-9',
        status: 'rejected',
        error: expect.objectContaining({ path: 'data.priority' }),
      }),
    ]);
  });

  it('leaves the value of a message over the size limit out of its dead letter', async () => {
    const publisher = recordingPublisher();
    await handlerWith(scriptedCore([]).dispatcher, publisher).handle(received(Buffer.alloc(5_000, 'x')));
    const [letter] = publisher.on('dlq');
    expect(letter.value).toBeNull();
    expect(letter.headers).toMatchObject({ 'eddy-error-code': 'MESSAGE_TOO_LARGE' });
  });

  it("answers an api process's request on the replies topic, keyed by its instance, as the user it names", async () => {
    const core = scriptedCore([]);
    const publisher = recordingPublisher();
    const request = {
      ...received(
        JSON.stringify({ type: 'ClaimTask', commandId: 'c-2', data: { id: 't-1', assignee: 'carl' } }),
      ),
      headers: {
        'eddy-request-id': 'c-2',
        'eddy-reply-to': 'api-instance-1',
        'eddy-reply-deadline': String(Date.now() + 60_000),
        'eddy-user-id': 'carl',
      },
    };
    await handlerWith(core.dispatcher, publisher).handle(request);
    expect(core.received[0].metadata.userId).toBe('carl');
    expect(publisher.on('results')).toEqual([]);
    const [reply] = publisher.on('replies');
    expect(reply.key).toBe('api-instance-1');
    expect(reply.headers).toEqual({ 'eddy-request-id': 'c-2' });
    expect(body(reply)).toMatchObject({ commandId: 'c-2', status: 'accepted', position: 7 });
  });

  it('hands a request read after its deadline not to the core, and answers it REQUEST_EXPIRED', async () => {
    const core = scriptedCore([]);
    const publisher = recordingPublisher();
    await handlerWith(core.dispatcher, publisher).handle({
      ...received(JSON.stringify(aCreateTaskCommand('c-3', 't-3'))),
      headers: {
        'eddy-request-id': 'c-3',
        'eddy-reply-to': 'api-1',
        'eddy-reply-deadline': String(Date.now() - 1),
      },
    });
    expect(core.received).toEqual([]);
    expect(publisher.on('replies').map(body)).toEqual([
      expect.objectContaining({
        commandId: 'c-3',
        status: 'rejected',
        error: expect.objectContaining({ code: 'REQUEST_EXPIRED' }),
      }),
    ]);
  });
});

/** A log that keeps its warnings. */
const warningsTo = (warnings: string[]): CommandTopicLog => ({
  ...silentLog,
  warn: (line) => void warnings.push(line),
});

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
    await handlerWith(core.dispatcher, recordingPublisher()).handle(
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
    await handlerWith(core.dispatcher, recordingPublisher(), warningsTo(warnings)).handle(
      message({ traceparent: Buffer.from('00-nonsense') }),
    );
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
    await handlerWith(core.dispatcher, recordingPublisher(), warningsTo(warnings)).handle(
      message({ traceparent: Buffer.from('00-nonsense') }),
    );
    expect(core.seen[0]).toMatchObject({ traceparent: undefined, correlationId: 'c-1' });
    expect(warnings).toEqual([]);
  });
});
