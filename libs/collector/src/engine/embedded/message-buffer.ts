import { randomUUID } from 'node:crypto';
import { type Variables } from '../engine.port';
import { type BufferedMessage, type EmbeddedEngineStore } from './embedded-engine.store';

/**
 * How long a message id is remembered at least, so that a message sent again (a retried request) changes
 * nothing even when its time to live is zero. Camunda 8 remembers an id only for the time to live.
 */
export const MESSAGE_ID_RETENTION_MS = 60 * 60 * 1000;

/**
 * Messages that found no waiting instance, kept (durably) until their time to live ends, and the ids of
 * the messages received, for Camunda 8's "a repeated message id changes nothing". Expiry is checked against
 * the engine's clock when a message is looked for; expired rows are deleted when the engine opens.
 */
export class MessageBuffer {
  private messages: BufferedMessage[] = [];
  private readonly messageIds = new Map<string, number>();
  private lastPrune = 0;

  constructor(
    private readonly store: EmbeddedEngineStore,
    private readonly now: () => number,
  ) {}

  /** Reads what is stored and still alive (when the engine opens). */
  load(): void {
    const stored = this.store.loadMessages(this.now());
    this.messages.push(...stored.messages);
    for (const [id, expiresAt] of stored.messageIds) this.messageIds.set(id, expiresAt);
  }

  /** The buffered messages still alive, oldest first. */
  alive(): BufferedMessage[] {
    const now = this.now();
    return this.messages.filter((m) => m.expiresAt > now);
  }

  /**
   * Claims a message id: true when it is new (it is remembered from now on), false when a message with it
   * was received before and is still remembered.
   */
  claimId(messageId: string, timeToLiveMs: number): boolean {
    const now = this.now();
    this.prune(now);
    const known = this.messageIds.get(messageId);
    if (known !== undefined && known > now) return false;
    this.messageIds.set(messageId, now + Math.max(timeToLiveMs, MESSAGE_ID_RETENTION_MS));
    return true;
  }

  /** Stores the claimed id of a message that was correlated at once (nothing buffered). */
  async rememberId(messageId: string): Promise<void> {
    await this.store.storeMessage(null, { messageId, expiresAt: this.messageIds.get(messageId)! });
  }

  /** Buffers a message for its time to live; resolves once it is stored. */
  async add(request: {
    name: string;
    correlationKey: string;
    variables: Variables;
    messageId: string | null;
    timeToLiveMs: number;
  }): Promise<BufferedMessage> {
    this.prune(this.now());
    const message: BufferedMessage = {
      id: randomUUID(),
      name: request.name,
      correlationKey: request.correlationKey,
      variables: request.variables,
      messageId: request.messageId,
      expiresAt: this.now() + request.timeToLiveMs,
    };
    this.messages.push(message);
    const messageId = request.messageId
      ? { messageId: request.messageId, expiresAt: this.messageIds.get(request.messageId)! }
      : null;
    await this.store.storeMessage(message, messageId);
    return message;
  }

  /** Takes the oldest live message of this name and key out of the buffer (the caller stores that it did). */
  take(name: string, correlationKey: string): BufferedMessage | undefined {
    const now = this.now();
    const index = this.messages.findIndex(
      (m) => m.name === name && m.correlationKey === correlationKey && m.expiresAt > now,
    );
    if (index < 0) return undefined;
    return this.messages.splice(index, 1)[0];
  }

  /** Puts back a message taken for an instance that could not receive it after all. */
  putBack(message: BufferedMessage): void {
    this.messages.unshift(message);
  }

  /** Forgets expired messages and ids, at most once a minute (their rows go when the engine opens). */
  private prune(now: number): void {
    if (now - this.lastPrune < 60_000) return;
    this.lastPrune = now;
    this.messages = this.messages.filter((m) => m.expiresAt > now);
    for (const [id, expiresAt] of this.messageIds) if (expiresAt <= now) this.messageIds.delete(id);
  }
}
