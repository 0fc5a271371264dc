import { randomUUID } from 'node:crypto';
import { Kafka, Partitioners, logLevel, type Consumer, type EachMessagePayload } from 'kafkajs';
import { afterAll, describe, expect, it } from '@jest/globals';
import { requireServer } from '@eddy/testing';

/** Consumes from `topic` in `groupId` until `count` messages arrived, then stops the consumer. */
async function consume(consumer: Consumer, topic: string, count: number): Promise<string[]> {
  const values: string[] = [];
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        eachMessage: async ({ topic: t, partition, message }: EachMessagePayload) => {
          values.push(message.value?.toString() ?? '');
          // Commit the offset after the message, as the platform's consumers do after their write.
          await consumer.commitOffsets([
            { topic: t, partition, offset: (BigInt(message.offset) + 1n).toString() },
          ]);
          if (values.length === count) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.stop();
  return values;
}

describe('Kafka (kafkajs) against the real broker', () => {
  const { brokers } = requireServer('kafka');
  const kafka = new Kafka({ clientId: 'eddy-smoke', brokers, logLevel: logLevel.WARN });
  const topic = `eddy-smoke-${randomUUID()}`;
  const groupId = `eddy-smoke-group-${randomUUID()}`;
  const admin = kafka.admin();

  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('creates a topic, produces, consumes in a group with commits, and resumes from the committed offsets', async () => {
    await admin.connect();
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true })).toBe(
      true,
    );
    expect(await admin.listTopics()).toContain(topic);

    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({
      topic,
      messages: ['e1', 'e2', 'e3'].map((value) => ({ key: 'stream-1', value })),
    });

    const first = kafka.consumer({ groupId });
    await first.connect();
    expect(await consume(first, topic, 3)).toEqual(['e1', 'e2', 'e3']);
    await first.disconnect();

    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed.partitions).toEqual([expect.objectContaining({ partition: 0, offset: '3' })]);

    await producer.send({ topic, messages: [{ key: 'stream-1', value: 'e4' }] });
    await producer.disconnect();

    // A new consumer in the same group starts after the committed offset: only the new message.
    const second = kafka.consumer({ groupId });
    await second.connect();
    expect(await consume(second, topic, 1)).toEqual(['e4']);
    await second.disconnect();
  });
});
