import { randomUUID } from 'node:crypto';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { afterAll } from '@jest/globals';
import { requireServer } from './servers';

/**
 * A client of the Kafka broker of the real-server tier (`EDDY_TEST_KAFKA_BROKERS`) and fresh topics
 * for a spec; the topics are deleted and the admin client disconnected after the spec's file.
 */
export function kafkaTestTopics(prefix: string): {
  brokers: string[];
  kafka: Kafka;
  admin: Admin;
  fresh(partitions: number): Promise<string>;
} {
  const { brokers } = requireServer('kafka');
  const kafka = new Kafka({ clientId: `${prefix}-spec`, brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const topics: string[] = [];
  afterAll(async () => {
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  });
  return {
    brokers,
    kafka,
    admin,
    fresh: async (partitions) => {
      const topic = `${prefix}-${randomUUID()}`;
      topics.push(topic);
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
      return topic;
    },
  };
}
