import type { Consumer, KafkaMessage } from 'kafkajs';

/**
 * Every message of some Kafka topics, read from their start by its own consumer, with a wait for the
 * message a test expects (no polling: the wait resolves when the message arrives).
 */
export class TopicReader {
  readonly messages: { topic: string; message: KafkaMessage }[] = [];
  private waiters: {
    match: (topic: string, m: KafkaMessage) => boolean;
    resolve: (m: KafkaMessage) => void;
  }[] = [];

  constructor(private readonly consumer: Consumer) {}

  stop(): Promise<void> {
    return this.consumer.disconnect();
  }

  async start(topics: string[]): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics, fromBeginning: true });
    const joined = new Promise<void>((resolve) =>
      this.consumer.on(this.consumer.events.GROUP_JOIN, () => resolve()),
    );
    await this.consumer.run({
      eachMessage: async ({ topic, message }) => {
        this.messages.push({ topic, message });
        this.waiters = this.waiters.filter((w) =>
          w.match(topic, message) ? (w.resolve(message), false) : true,
        );
      },
    });
    await joined;
  }

  next(topic: string, match: (m: KafkaMessage) => boolean): Promise<KafkaMessage> {
    const found = this.messages.find((m) => m.topic === topic && match(m.message));
    if (found) return Promise.resolve(found.message);
    return new Promise((resolve) => this.waiters.push({ match: (t, m) => t === topic && match(m), resolve }));
  }
}
