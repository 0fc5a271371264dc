import { type Logger } from '@nestjs/common';
import { EngineError } from '../engine.errors';
import { type CorrelateMessageRequest, type MessageCorrelationResult, type Variables } from '../engine.port';
import { isObject, type ElementApi, type Runtime, type Subscription } from './instance-state';
import { type InstanceRuntimes } from './instance-runtime';
import { type MessageBuffer } from './message-buffer';
import { type MessageSubscriptions } from './message-subscriptions';

/**
 * Correlates messages as Camunda 8 does: to every instance waiting for the message's name and correlation
 * key, each as a step of its instance, and to every process whose message start event it names (a new instance); a message that finds none is buffered for its time to live and goes
 * to the first instance that starts waiting for it; a message whose id was seen before changes nothing.
 */
export class MessageCorrelation {
  constructor(
    private readonly runtimes: InstanceRuntimes,
    private readonly subscriptions: MessageSubscriptions,
    private readonly buffer: MessageBuffer,
    private readonly logger: Logger,
    /** Starts an instance of every process with a message start event for the name; their ids. */
    private readonly startInstances: (name: string, variables: Variables) => Promise<string[]>,
  ) {}

  async correlate(request: CorrelateMessageRequest): Promise<MessageCorrelationResult> {
    const { name, correlationKey } = validate(request);
    const variables = request.variables ?? {};
    const timeToLiveMs = request.timeToLiveMs ?? 0;
    const messageId = request.messageId ?? null;
    if (messageId !== null && !this.buffer.claimId(messageId, timeToLiveMs)) return { instanceIds: [] };

    const instanceIds: string[] = [];
    for (const instanceId of this.subscriptions.waitingFor(name, correlationKey)) {
      const rt = this.runtimes.get(instanceId);
      if (!rt) continue;
      const correlated = await this.runtimes.step(rt, async () => {
        const subscription = Object.values(rt.meta.subscriptions).find(
          (s) => s.messageName === name && s.correlationKey === correlationKey,
        );
        if (!subscription || rt.ended) return false;
        return this.signal(rt, subscription, variables);
      });
      if (correlated) instanceIds.push(instanceId);
    }
    instanceIds.push(...(await this.startInstances(name, variables)));
    if (instanceIds.length === 0 && timeToLiveMs > 0) {
      await this.buffer.add({ name, correlationKey, variables, messageId, timeToLiveMs });
      // An instance may have started waiting while the waiting ones were tried.
      for (const instanceId of this.subscriptions.waitingFor(name, correlationKey)) this.offer(instanceId);
    } else if (messageId !== null) {
      await this.buffer.rememberId(messageId);
    }
    return { instanceIds };
  }

  /** An instance started waiting at a message event: delivers a buffered message for it, if there is one. */
  subscriptionOpened(rt: Runtime, key: string): void {
    const subscription = rt.meta.subscriptions[key];
    const waiting = this.buffer
      .alive()
      .some((m) => m.name === subscription.messageName && m.correlationKey === subscription.correlationKey);
    if (waiting) this.offer(rt.meta.instance.id);
  }

  /** Delivers the buffered messages that instances wait for (when the engine opens). */
  offerBuffered(): void {
    const instances = new Set<string>();
    for (const m of this.buffer.alive()) {
      for (const id of this.subscriptions.waitingFor(m.name, m.correlationKey)) instances.add(id);
    }
    for (const id of instances) this.offer(id);
  }

  /**
   * In a step of its own after the current one, gives each subscription of the instance the oldest buffered
   * message for it; the message leaves the store with that step's commit.
   */
  private offer(instanceId: string): void {
    const rt = this.runtimes.get(instanceId);
    if (!rt) return;
    this.runtimes
      .step(rt, async () => {
        for (const subscription of Object.values(rt.meta.subscriptions)) {
          if (rt.ended) return;
          const message = this.buffer.take(subscription.messageName, subscription.correlationKey);
          if (!message) continue;
          if (await this.signal(rt, subscription, message.variables)) {
            rt.consumedMessages.push(message.id);
          } else {
            this.buffer.putBack(message);
          }
        }
      })
      .catch((error: unknown) =>
        this.logger.error(
          `ENGINE-022 instance ${instanceId}: a buffered message could not be delivered: ${(error as Error).message}`,
        ),
      );
  }

  /**
   * Signals the waiting message event instance with the message's variables (set from its scope outwards);
   * false when the engine is not waiting there.
   */
  private async signal(rt: Runtime, subscription: Subscription, variables: Variables): Promise<boolean> {
    await this.runtimes.ensureEngine(rt);
    const { elementId, executionId } = subscription;
    const eventSubProcesses = this.runtimes.eventSubProcesses;
    if (eventSubProcesses.isMessageStart(rt, elementId)) {
      this.runtimes.setVariables(rt, variables);
      return eventSubProcesses.messageArrived(rt, elementId);
    }
    const api = ((executionId ? rt.waiting.get(executionId) : undefined) ??
      [...rt.waiting.values()].find((a) => a.id === elementId && !executionId) ??
      rt
        .engine!.execution.getPostponed()
        .find((a) => (executionId ? a.executionId === executionId : a.id === elementId))) as
      ElementApi | undefined;
    if (!api) return false;
    this.runtimes.setVariables(rt, variables, executionId);
    rt.engineMoved = true;
    api.signal({ ...variables });
    return true;
  }
}

function validate(request: CorrelateMessageRequest): { name: string; correlationKey: string } {
  if (!request?.name) throw new EngineError('INVALID_ARGUMENT', 'name: a message name is required');
  if (typeof request.correlationKey !== 'string') {
    throw new EngineError('INVALID_ARGUMENT', 'correlationKey: a string is required');
  }
  if (request.variables !== undefined && !isObject(request.variables)) {
    throw new EngineError('INVALID_ARGUMENT', 'variables: must be an object');
  }
  if (
    request.messageId !== undefined &&
    (typeof request.messageId !== 'string' || request.messageId === '')
  ) {
    throw new EngineError('INVALID_ARGUMENT', 'messageId: a non-empty string is required');
  }
  const ttl = request.timeToLiveMs;
  if (ttl !== undefined && !(Number.isSafeInteger(ttl) && ttl >= 0)) {
    throw new EngineError(
      'INVALID_ARGUMENT',
      'timeToLiveMs: a whole number of milliseconds, 0 or more, is required',
    );
  }
  return { name: request.name, correlationKey: request.correlationKey };
}
