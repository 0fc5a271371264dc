import { Test } from '@nestjs/testing';
import { createServer } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { MemoryEventStore } from '@eddy/eventstore';
import { EventStoreModule } from '@eddy/eventstore/event-store.module';
import { metricsRegistry } from '@eddy/observability';
import { CoreModule } from '@eddy/taskpool';
import { CommandTopicModule } from './command-topic.module';

/** A port of this machine that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function startupRetries(): Promise<number> {
  const metric = await metricsRegistry.getSingleMetric('eddy_command_topic_errors_total')?.get();
  return metric?.values.find((v) => v.labels.code === 'COMMAND-TOPIC-002')?.value ?? 0;
}

describe('the command topic consumer with its brokers down at start-up', () => {
  it('lets the process start, logs COMMAND-TOPIC-002 with a metric while it tries again, and stops when told', async () => {
    const before = await startupRetries();
    const app = await Test.createTestingModule({
      imports: [
        EventStoreModule.forStore(new MemoryEventStore()),
        CoreModule.forRoot({ maxRetries: 3 }),
        CommandTopicModule.forRoot({
          brokers: [`127.0.0.1:${await closedPort()}`],
          topic: 'eddy.commands',
          resultsTopic: 'eddy.command-results',
          repliesTopic: 'eddy.replies',
          deadLetterTopic: 'eddy.commands.dlq',
          groupId: 'eddy-core',
          maxMessageBytes: 1_024,
          maxPayloadDepth: 8,
          connectBackoff: { initialDelayMs: 10, maxDelayMs: 10 },
        }),
      ],
    }).compile();
    const lines: string[] = [];
    const seen = new Promise<void>((resolve) => {
      const collect = (message: unknown) => {
        lines.push(String(message));
        if (String(message).startsWith('COMMAND-TOPIC-002')) resolve();
      };
      app.useLogger({
        log: collect,
        warn: collect,
        error: collect,
        debug: () => undefined,
        verbose: () => undefined,
      });
    });
    // Start-up does not wait for the brokers.
    await app.init();
    await seen;
    expect(lines.find((line) => line.startsWith('COMMAND-TOPIC-002'))).toMatch(
      /^COMMAND-TOPIC-002 cannot consume eddy\.commands from the Kafka brokers 127\.0\.0\.1:\d+ \(attempt 1, again in 10 ms\)/,
    );
    expect(await startupRetries()).toBeGreaterThan(before);
    await app.close();
  });
});
