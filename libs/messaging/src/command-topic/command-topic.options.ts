import type { Backoff } from '@eddy/observability';

/** Settings of the command topic consumer (`EDDY_KAFKA_*` in the configuration). */
export interface CommandTopicOptions {
  /** Bootstrap brokers as `host:port`. */
  brokers: string[];
  /** Where process applications produce commands (default `eddy.commands`). */
  topic: string;
  /** Where each command's result goes, keyed by its command id (default `eddy.command-results`). */
  resultsTopic: string;
  /** Where the results of api processes' requests go, keyed by the waiting instance (default `eddy.replies`). */
  repliesTopic: string;
  /** Where messages that can never succeed go (default `eddy.commands.dlq`). */
  deadLetterTopic: string;
  /** The consumer group; every core process of one deployment shares it. */
  groupId: string;
  /** Largest message value in bytes; a larger one is dead-lettered. */
  maxMessageBytes: number;
  /** How deep payloads and variables may nest (`EDDY_MAX_PAYLOAD_DEPTH`). */
  maxPayloadDepth: number;
  /** The longest comment text (`EDDY_COMMENT_MAX_LENGTH`). */
  maxCommentLength?: number;
  clientId?: string;
  /** Back-off of a command whose failure can pass (the event store unreachable). */
  retryBackoff?: Backoff;
  /** Back-off of connecting to the brokers at start. */
  connectBackoff?: Backoff;
}

/** Injection token of the {@link CommandTopicOptions}. */
export const COMMAND_TOPIC_OPTIONS = Symbol('COMMAND_TOPIC_OPTIONS');

export const DEFAULT_RETRY_BACKOFF: Backoff = { initialDelayMs: 200, maxDelayMs: 10_000 };
export const DEFAULT_CONNECT_BACKOFF: Backoff = { initialDelayMs: 1_000, maxDelayMs: 30_000 };
