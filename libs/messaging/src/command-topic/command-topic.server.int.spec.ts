import { Test, type TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Admin, type KafkaMessage, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EventStoreUnavailableError, MemoryEventStore, type EventStore } from '@eddy/eventstore';
import { metricsRegistry } from '@eddy/observability';
import { EventStoreModule } from '@eddy/eventstore/event-store.module';
import { CoreModule } from '@eddy/taskpool';
import { aCreateTaskCommand, requireServer, TopicReader } from '@eddy/testing';
import { CommandTopicModule } from './command-topic.module';

/** A store that can be made unreachable, and tells each refused call. */
class SwitchableStore {
  down = false;
  private refusals = 0;
  private waiters: { count: number; resolve: () => void }[] = [];
  readonly store: EventStore;

  constructor(inner: EventStore) {
    this.store = new Proxy(inner, {
      get: (target, name, receiver) => {
        const value = Reflect.get(target, name, receiver) as unknown;
        if (typeof value !== 'function') return value;
        if (!['appendToStream', 'readStream', 'findCommand'].includes(String(name)))
          return value.bind(target);
        return async (...args: unknown[]) => {
          if (this.down) {
            this.refusals++;
            this.waiters = this.waiters.filter((w) =>
              w.count <= this.refusals ? (w.resolve(), false) : true,
            );
            throw new EventStoreUnavailableError('the event store cannot be reached (test)');
          }
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  }

  /** Resolves once `count` more calls were refused. */
  refused(count: number): Promise<void> {
    return new Promise((resolve) => this.waiters.push({ count: this.refusals + count, resolve }));
  }
}

const json = (message: KafkaMessage) => JSON.parse(String(message.value)) as Record<string, unknown>;
const header = (message: KafkaMessage, name: string) => String(message.headers?.[name]);

describe('commands from a Kafka topic, against the real broker', () => {
  const { brokers } = requireServer('kafka');
  const run = randomUUID().slice(0, 8);
  const topics = {
    topic: `eddy-test-commands-${run}`,
    resultsTopic: `eddy-test-command-results-${run}`,
    repliesTopic: `eddy-test-replies-${run}`,
    deadLetterTopic: `eddy-test-commands-dlq-${run}`,
  };
  const groupId = `eddy-test-core-${run}`;
  const kafka = new Kafka({ clientId: 'eddy-command-topic-spec', brokers, logLevel: logLevel.WARN });
  const switchable = new SwitchableStore(new MemoryEventStore());
  let admin: Admin;
  let producer: Producer;
  let reader: TopicReader;
  let app: TestingModule;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: topics.topic, numPartitions: 3 },
        { topic: topics.resultsTopic, numPartitions: 3 },
        { topic: topics.deadLetterTopic, numPartitions: 1 },
      ],
      waitForLeaders: true,
    });
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    reader = new TopicReader(kafka.consumer({ groupId: `eddy-test-reader-${run}` }));
    await reader.start([topics.resultsTopic, topics.deadLetterTopic]);
    app = await Test.createTestingModule({
      imports: [
        EventStoreModule.forStore(switchable.store),
        CoreModule.forRoot({ maxRetries: 3 }),
        CommandTopicModule.forRoot({
          ...topics,
          brokers,
          groupId,
          maxMessageBytes: 4_096,
          maxPayloadDepth: 16,
          retryBackoff: { initialDelayMs: 20, maxDelayMs: 200 },
        }),
      ],
    }).compile();
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await reader?.stop();
    await producer?.disconnect();
    await admin?.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin?.disconnect();
  });

  /** Sends one message keyed by `key` and answers where it landed. */
  async function send(key: string, value: string | Buffer, headers?: Record<string, string>) {
    const [meta] = await producer.send({ topic: topics.topic, messages: [{ key, value, headers }] });
    return { partition: meta.partition, offset: meta.baseOffset! };
  }
  const resultOf = (commandId: string, status?: string) =>
    reader.next(
      topics.resultsTopic,
      (m) => String(m.key) === commandId && (status === undefined || json(m).status === status),
    );
  const deadLetterAt = (at: { partition: number; offset: string }) =>
    reader.next(
      topics.deadLetterTopic,
      (m) =>
        header(m, 'eddy-original-partition') === String(at.partition) &&
        header(m, 'eddy-original-offset') === at.offset,
    );
  /** The group's committed offset of a partition (the next offset it will read), -1 when none. */
  async function committed(partition: number): Promise<bigint> {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topics.topic] });
    return BigInt(offsets.partitions.find((p) => p.partition === partition)?.offset ?? '-1');
  }
  /** Waits until the group has committed past `offset` of `partition`. */
  async function committedPast(at: { partition: number; offset: string }): Promise<void> {
    const deadline = Date.now() + 60_000;
    while ((await committed(at.partition)) <= BigInt(at.offset)) {
      if (Date.now() > deadline)
        throw new Error(`offset ${at.offset} of partition ${at.partition} never committed`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('appends a command, publishes its result keyed by the command id, and commits its offset', async () => {
    const at = await send('t-1', JSON.stringify(aCreateTaskCommand('c-1', 't-1')), {
      'x-correlation-id': 'order-7',
    });
    const result = await resultOf('c-1');
    expect(json(result)).toEqual({
      commandId: 'c-1',
      status: 'accepted',
      streamId: 'task-t-1',
      revision: 0,
      position: expect.any(Number),
    });
    expect(header(result, 'x-correlation-id')).toBe('order-7');
    const events = await switchable.store.readStream('task-t-1');
    expect(events.map((e) => [e.type, e.metadata])).toEqual([
      [
        'TaskCreated',
        expect.objectContaining({
          commandId: 'c-1',
          correlationId: 'order-7',
          userId: `kafka:${topics.topic}`,
        }),
      ],
    ]);
    await committedPast(at);
  });

  it('changes nothing when the same command comes again', async () => {
    await send('t-2', JSON.stringify(aCreateTaskCommand('c-2', 't-2')));
    await send('t-2', JSON.stringify(aCreateTaskCommand('c-2', 't-2', { name: 'Changed' })));
    expect(json(await resultOf('c-2', 'accepted'))).toMatchObject({ streamId: 'task-t-2', revision: 0 });
    expect(json(await resultOf('c-2', 'duplicate'))).toMatchObject({ streamId: 'task-t-2', revision: 0 });
    const events = await switchable.store.readStream('task-t-2');
    expect(events).toHaveLength(1);
    expect(events[0].data).toMatchObject({ name: 'Check claim' });
  });

  it('dead-letters a poison message with its error and origin and goes on with the next one', async () => {
    const poison = await send('t-3', '{"type": "CreateTask", ');
    const next = await send('t-3', JSON.stringify(aCreateTaskCommand('c-3', 't-3')));
    expect(next.partition).toBe(poison.partition);
    const letter = await deadLetterAt(poison);
    expect(String(letter.value)).toBe('{"type": "CreateTask", ');
    expect(String(letter.key)).toBe('t-3');
    expect(header(letter, 'eddy-error-code')).toBe('INVALID_JSON');
    expect(header(letter, 'eddy-error-message')).toContain('not JSON');
    expect(header(letter, 'eddy-original-topic')).toBe(topics.topic);
    expect(json(await resultOf('c-3'))).toMatchObject({ status: 'accepted' });
    await committedPast(next);
  });

  it('dead-letters an unknown type, invalid data and a message over the size limit, each with its code', async () => {
    const unknown = await send('x', JSON.stringify({ type: 'LaunchRocket', commandId: 'c-4', data: {} }));
    const invalid = await send('t-5', JSON.stringify(aCreateTaskCommand('c-5', 't-5', { priority: 'high' })));
    const large = await send(
      't-6',
      JSON.stringify(aCreateTaskCommand('c-6', 't-6', { description: 'x'.repeat(5_000) })),
    );
    expect(header(await deadLetterAt(unknown), 'eddy-error-code')).toBe('UNKNOWN_COMMAND_TYPE');
    const invalidLetter = await deadLetterAt(invalid);
    expect(header(invalidLetter, 'eddy-error-code')).toBe('INVALID_COMMAND');
    expect(header(invalidLetter, 'eddy-error-path')).toBe('data.priority');
    expect(header(await deadLetterAt(large), 'eddy-error-code')).toBe('MESSAGE_TOO_LARGE');
    // The partition goes on after the message over the limit.
    const after = await send('t-6', JSON.stringify(aCreateTaskCommand('c-6b', 't-6')));
    expect(after.partition).toBe(large.partition);
    expect(json(await resultOf('c-6b'))).toMatchObject({ status: 'accepted', streamId: 'task-t-6' });
    // Each dead letter is counted by its code (and logged as COMMAND-TOPIC-010 with it).
    const counted = await metricsRegistry.getSingleMetricAsString('eddy_command_topic_dead_letters_total');
    for (const code of ['UNKNOWN_COMMAND_TYPE', 'INVALID_COMMAND', 'MESSAGE_TOO_LARGE'])
      expect(counted).toContain(`code="${code}"`);
    expect(json(await resultOf('c-5'))).toMatchObject({
      status: 'rejected',
      error: { code: 'INVALID_COMMAND' },
    });
    expect(await switchable.store.readStream('task-t-5')).toEqual([]);
  });

  it('tries a command again while the event store is unreachable, commits nothing meanwhile, and never dead-letters it', async () => {
    switchable.down = true;
    const refusals = switchable.refused(3);
    const at = await send('t-7', JSON.stringify(aCreateTaskCommand('c-7', 't-7')));
    await refusals;
    // Refused three times: the message is still being handled, so its offset is not committed.
    expect(await committed(at.partition)).toBeLessThanOrEqual(BigInt(at.offset));
    switchable.down = false;
    expect(json(await resultOf('c-7'))).toMatchObject({ status: 'accepted', streamId: 'task-t-7' });
    await committedPast(at);
    expect(await switchable.store.readStream('task-t-7')).toHaveLength(1);
    expect(
      reader.messages.filter((m) => m.topic === topics.deadLetterTopic && String(m.message.key) === 't-7'),
    ).toEqual([]);
    expect(
      reader.messages.filter((m) => m.topic === topics.resultsTopic && String(m.message.key) === 'c-7'),
    ).toHaveLength(1);
  });
});
