import { Logger } from '@nestjs/common';
import {
  counter,
  retryWithBackoff,
  runDetached,
  traceparentOf,
  withSpan,
  type Backoff,
} from '@eddy/observability';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Consumer, type IHeaders, type Producer } from 'kafkajs';
import { DEFAULT_CONNECT_BACKOFF } from '../command-topic/command-topic.options';
import { kafkajsLog } from '../command-topic/kafkajs-log';
import { REQUEST_HEADERS } from './request-headers';

/** A request to the process of another role, answered on the replies topic. */
export interface OutgoingRequest {
  topic: string;
  /** The message key (the partition, hence the order, among requests of the same key). */
  key: string;
  value: string;
  /** What the reply is matched by; unique per intent (a command's id). */
  requestId: string;
  headers?: IHeaders;
  /** Milliseconds since the epoch of the message (a command's time). */
  timestamp?: number;
  /**
   * Which process answers it, named in the timeout's log line and error, so that an operator whose replies
   * never come knows which process to look at (e.g. "a core process with EDDY_KAFKA_COMMANDS=on").
   */
  answeredBy?: string;
}

/** Sends a request and resolves with its reply's value, or rejects with {@link RequestTimeoutError}. */
export interface Requester {
  request(request: OutgoingRequest): Promise<Buffer>;
}

/** No reply came in time: the request may or may not have been carried out before its deadline. */
export class RequestTimeoutError extends Error {
  readonly code = 'REPLY_TIMEOUT';
  constructor(
    readonly requestId: string,
    readonly topic: string,
    readonly timeoutMs: number,
    answeredBy = 'the process that handles it',
    reason = `no reply within ${timeoutMs} ms: ${answeredBy} is down, busy or not reading the topic, and does not carry it out after that`,
  ) {
    super(`request ${requestId} on ${topic}: ${reason}`);
    this.name = 'RequestTimeoutError';
  }
}

export interface KafkaRequesterOptions {
  brokers: string[];
  /** Where the replies come, keyed by the instance id (`EDDY_KAFKA_REPLIES_TOPIC`). */
  repliesTopic: string;
  /** How long a request waits for its reply (`EDDY_KAFKA_REQUEST_TIMEOUT_MS`). */
  timeoutMs: number;
  clientId?: string;
  connectBackoff?: Backoff;
}

const requests = counter(
  'eddy_kafka_requests_total',
  'Requests of this api process to the processes of other roles, by topic and outcome (replied, timeout)',
  ['topic', 'outcome'],
);

interface Pending {
  resolve: (value: Buffer) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  topic: string;
}

/**
 * The one request/reply path across roles: a request goes to a topic with this instance's id and a deadline
 * in its headers (see `request-headers.ts`); the process that handles it publishes the reply to the replies
 * topic keyed by that id, and this instance, which reads the replies topic in a consumer group of its own,
 * matches it by request id. A request without a reply within the timeout rejects with
 * {@link RequestTimeoutError}; a reply that comes later, or that was meant for an earlier run of this
 * process (a new run has a new id), is dropped.
 *
 * Connects in the background with back-off; a request made before the replies consumer reads the topic
 * waits for it, within its own timeout. With tracing on, each request is the span `request <topic>` (kind
 * client, from the send to the reply) in the trace it is made in, and carries that span's W3C `traceparent`
 * (header `traceparent`), so the process that handles it continues the trace. Log codes
 * `REQUEST-0xx`.
 */
export class KafkaRequester implements Requester {
  /** This run's id: replies to it are this process's, and an earlier run's never reach it. */
  readonly instanceId = randomUUID();
  private readonly logger = new Logger('KafkaRequester');
  private readonly pending = new Map<string, Pending>();
  private readonly stopping = new AbortController();
  private readonly groupId: string;
  private kafka: Kafka | null = null;
  private producer: Producer | null = null;
  private consumer: Consumer | null = null;
  private connecting: Promise<void> | null = null;
  private onReady!: () => void;
  /** Resolves once replies are read: every reply published after it reaches this instance. */
  readonly ready = new Promise<void>((resolve) => (this.onReady = resolve));

  constructor(private readonly options: KafkaRequesterOptions) {
    this.groupId = `eddy-api-replies-${this.instanceId}`;
  }

  /** Connects in the background; requests wait for it. */
  start(): void {
    // Outside the work of the request that may start it: the consumer serves every later one.
    this.connecting ??= runDetached(() => this.connect()).catch((error: unknown) => {
      if (this.stopping.signal.aborted) return;
      this.logger.error(`REQUEST-004 the replies consumer stopped: ${String(error)}`);
    });
  }

  private async connect(): Promise<void> {
    const { options } = this;
    const kafka = new Kafka({
      clientId: options.clientId ?? 'eddy-api',
      brokers: options.brokers,
      logLevel: logLevel.WARN,
      logCreator: kafkajsLog(this.logger, 'REQUEST-020'),
    });
    this.kafka = kafka;
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    // No committed offset of this new group: it starts at the end, which is all it needs.
    const consumer = kafka.consumer({ groupId: this.groupId, maxWaitTimeInMs: 500 });
    this.producer = producer;
    this.consumer = consumer;
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
    // The first fetch after joining has resolved the partitions' offsets: from then on no reply is missed.
    consumer.on(consumer.events.FETCH, () => {
      if (joined) this.onReady();
    });
    await retryWithBackoff(
      async () => {
        await producer.connect();
        await consumer.connect();
        await consumer.subscribe({ topics: [options.repliesTopic], fromBeginning: false });
      },
      {
        ...(options.connectBackoff ?? DEFAULT_CONNECT_BACKOFF),
        signal: this.stopping.signal,
        onRetry: (error, attempt, delayMs) =>
          this.logger.error(
            `REQUEST-002 cannot read ${options.repliesTopic} from the Kafka brokers ${options.brokers.join(',')} (attempt ${attempt}, again in ${delayMs} ms): ${String(error)}`,
          ),
      },
    );
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.key?.toString('utf8') !== this.instanceId) return;
        const requestId = message.headers?.[REQUEST_HEADERS.requestId]?.toString();
        const waiting = requestId === undefined ? undefined : this.pending.get(requestId);
        if (!waiting) {
          this.logger.warn(
            `REQUEST-010 a reply to request ${requestId ?? '?'} came after it timed out; dropped`,
          );
          return;
        }
        this.settle(requestId!);
        requests.inc({ topic: waiting.topic, outcome: 'replied' });
        waiting.resolve(message.value ?? Buffer.alloc(0));
      },
    });
    this.logger.log(
      `REQUEST-001 instance ${this.instanceId} reads replies from ${options.repliesTopic}; requests wait ${options.timeoutMs} ms for them`,
    );
  }

  request(request: OutgoingRequest): Promise<Buffer> {
    return withSpan(
      `request ${request.topic}`,
      {
        kind: 'client',
        attributes: { 'messaging.destination.name': request.topic, 'eddy.request_id': request.requestId },
      },
      () => this.sendAndWait(request),
    );
  }

  private sendAndWait(request: OutgoingRequest): Promise<Buffer> {
    const { timeoutMs } = this.options;
    if (this.pending.has(request.requestId)) {
      return Promise.reject(new Error(`request ${request.requestId} is already waiting for its reply`));
    }
    this.start();
    const deadline = Date.now() + timeoutMs;
    const traceparent = traceparentOf();
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settle(request.requestId);
        requests.inc({ topic: request.topic, outcome: 'timeout' });
        this.logger.warn(
          `REQUEST-011 no reply to request ${request.requestId} on ${request.topic} within ${timeoutMs} ms` +
            (request.answeredBy ? `: is ${request.answeredBy} running and reading ${request.topic}?` : ''),
        );
        reject(new RequestTimeoutError(request.requestId, request.topic, timeoutMs, request.answeredBy));
      }, timeoutMs);
      this.pending.set(request.requestId, { resolve, reject, timer, topic: request.topic });
      void this.send(request, deadline, traceparent).catch((error: unknown) => {
        if (!this.pending.has(request.requestId)) return;
        this.settle(request.requestId);
        reject(error instanceof Error ? error : new Error(String(error)));
      });
    });
  }

  private async send(request: OutgoingRequest, deadline: number, traceparent?: string): Promise<void> {
    await this.ready;
    // Timed out while waiting for the consumer: not sent, so never carried out.
    if (!this.pending.has(request.requestId)) return;
    await this.producer!.send({
      topic: request.topic,
      messages: [
        {
          key: request.key,
          value: request.value,
          ...(request.timestamp !== undefined ? { timestamp: String(request.timestamp) } : {}),
          headers: {
            ...request.headers,
            [REQUEST_HEADERS.requestId]: request.requestId,
            [REQUEST_HEADERS.replyTo]: this.instanceId,
            [REQUEST_HEADERS.deadline]: String(deadline),
            ...(traceparent === undefined ? {} : { [REQUEST_HEADERS.traceparent]: traceparent }),
          },
        },
      ],
    });
  }

  private settle(requestId: string): void {
    const waiting = this.pending.get(requestId);
    if (waiting) clearTimeout(waiting.timer);
    this.pending.delete(requestId);
  }

  /** Answers every waiting request with a timeout, disconnects and removes this run's consumer group. */
  async stop(): Promise<void> {
    this.stopping.abort();
    for (const [requestId, waiting] of [...this.pending]) {
      this.settle(requestId);
      waiting.reject(
        new RequestTimeoutError(
          requestId,
          waiting.topic,
          this.options.timeoutMs,
          undefined,
          'this process stopped before the reply came',
        ),
      );
    }
    await this.connecting;
    await this.consumer?.disconnect().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    if (this.kafka) {
      const admin = this.kafka.admin();
      await admin
        .connect()
        .then(() => admin.deleteGroups([this.groupId]))
        .catch(() => undefined)
        .finally(() => admin.disconnect());
    }
  }
}
