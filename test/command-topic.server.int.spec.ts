import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { requireServer, TopicReader } from '@eddy/testing';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config/eddy.config';

/**
 * The platform as configured with EDDY_KAFKA_COMMANDS=on against the real broker: a data entry sent to
 * the command topic is in the view that the tasklist API serves, and its result on the results topic.
 */
describe('the platform with commands from Kafka', () => {
  const { brokers } = requireServer('kafka');
  const run = randomUUID().slice(0, 8);
  const topics = {
    EDDY_KAFKA_COMMAND_TOPIC: `eddy-test-platform-commands-${run}`,
    EDDY_KAFKA_COMMAND_RESULTS_TOPIC: `eddy-test-platform-results-${run}`,
    EDDY_KAFKA_COMMAND_DLQ_TOPIC: `eddy-test-platform-dlq-${run}`,
  };
  const kafka = new Kafka({ clientId: 'eddy-platform-spec', brokers, logLevel: logLevel.WARN });
  const admin = kafka.admin();
  let producer: Producer;
  let reader: TopicReader;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    await admin.connect();
    await admin.createTopics({
      topics: Object.values(topics).map((topic) => ({ topic })),
      waitForLeaders: true,
    });
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    reader = new TopicReader(kafka.consumer({ groupId: `eddy-test-platform-reader-${run}` }));
    await reader.start([topics.EDDY_KAFKA_COMMAND_RESULTS_TOPIC]);
    app = await createApp(
      loadConfig({
        EDDY_AUTH_MODE: 'dev',
        EDDY_EVENT_STORE: 'memory',
        EDDY_ENGINE: 'none',
        EDDY_LOG_LEVEL: 'warn',
        EDDY_KAFKA_COMMANDS: 'on',
        EDDY_KAFKA_BROKERS: brokers.join(','),
        EDDY_KAFKA_COMMAND_GROUP: `eddy-test-platform-core-${run}`,
        ...topics,
      }),
    );
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
    await reader?.stop();
    await producer?.disconnect();
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect();
  });

  it('handles a command from the topic through the core into the views', async () => {
    const command = {
      type: 'CreateOrUpdateDataEntry',
      commandId: `inv-${run}`,
      data: {
        entryType: 'invoice',
        entryId: `INV-${run}`,
        type: 'Invoice',
        name: `Invoice ${run}`,
        applicationName: 'billing',
        authorizations: [{ kind: 'ADD_GROUP', principal: 'accounting' }],
      },
    };
    await producer.send({
      topic: topics.EDDY_KAFKA_COMMAND_TOPIC,
      messages: [{ key: `invoice#INV-${run}`, value: JSON.stringify(command) }],
    });
    const result = await reader.next(
      topics.EDDY_KAFKA_COMMAND_RESULTS_TOPIC,
      (m) => String(m.key) === command.commandId,
    );
    expect(JSON.parse(String(result.value))).toMatchObject({ status: 'accepted', revision: 0 });

    // The result goes out once the events are appended; the projection writes the view after that.
    const entries = async () => {
      const answer = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-user': 'alice', 'x-groups': 'accounting' },
        body: JSON.stringify({ query: '{ dataEntries { nodes { entryId name } } }' }),
      });
      return ((await answer.json()) as { data: { dataEntries: { nodes: unknown[] } } }).data.dataEntries
        .nodes;
    };
    const deadline = Date.now() + 30_000;
    let nodes = await entries();
    while (nodes.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      nodes = await entries();
    }
    expect(nodes).toEqual([{ entryId: `INV-${run}`, name: `Invoice ${run}` }]);
  });
});
