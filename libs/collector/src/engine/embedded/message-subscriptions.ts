import { type Logger } from '@nestjs/common';
import { resolveAttribute } from './feel';
import { type InstanceMeta, type Runtime } from './instance-state';
import { visibleVariables } from './variable-scopes';

/**
 * The message catch events the running instances wait at, indexed by message name and correlation key
 * (both evaluated when the instance starts waiting, as Camunda 8 does).
 */
export class MessageSubscriptions {
  /** Instance ids by {@link subscriptionKey}. */
  private readonly index = new Map<string, Set<string>>();

  constructor(private readonly logger: Logger) {}

  /** The instances waiting for a message with this name and correlation key. */
  waitingFor(messageName: string, correlationKey: string): string[] {
    return [...(this.index.get(subscriptionKey(messageName, correlationKey)) ?? [])];
  }

  /** Indexes the subscriptions of an instance read from the store. */
  restore(meta: InstanceMeta): void {
    for (const s of Object.values(meta.subscriptions))
      this.add(s.messageName, s.correlationKey, meta.instance.id);
  }

  /**
   * Opens the subscription of a message event instance the instance waits at, evaluated in its scope; false
   * when its name or correlation key cannot be evaluated (logged), so that no message can reach it.
   */
  subscribe(rt: Runtime, elementId: string, executionId: string): boolean {
    const spec = rt.definition.compiled.messageEvents.get(elementId)!;
    const meta = rt.meta;
    let messageName: string;
    let correlationKey: string;
    const variables = visibleVariables(rt, executionId);
    try {
      messageName = String(resolveAttribute(spec.messageName, variables) ?? '');
      correlationKey = String(resolveAttribute(spec.correlationKey, variables) ?? '');
    } catch (error) {
      this.logger.warn(
        `ENGINE-021 instance ${meta.instance.id} ${elementId}: subscription: ${(error as Error).message}`,
      );
      return false;
    }
    meta.subscriptions[executionId] = { elementId, executionId, messageName, correlationKey };
    this.add(messageName, correlationKey, meta.instance.id);
    return true;
  }

  /** Closes a subscription, by the key it has in `meta.subscriptions`. */
  unsubscribe(rt: Runtime, key: string): void {
    const subscription = rt.meta.subscriptions[key];
    delete rt.meta.subscriptions[key];
    const indexKey = subscriptionKey(subscription.messageName, subscription.correlationKey);
    const stillWaiting = Object.values(rt.meta.subscriptions).some(
      (s) => subscriptionKey(s.messageName, s.correlationKey) === indexKey,
    );
    if (!stillWaiting) {
      const ids = this.index.get(indexKey);
      ids?.delete(rt.meta.instance.id);
      if (ids?.size === 0) this.index.delete(indexKey);
    }
  }

  private add(messageName: string, correlationKey: string, instanceId: string): void {
    const key = subscriptionKey(messageName, correlationKey);
    let ids = this.index.get(key);
    if (!ids) this.index.set(key, (ids = new Set()));
    ids.add(instanceId);
  }
}

function subscriptionKey(name: string, correlationKey: string): string {
  return `${name}\u0000${correlationKey}`;
}
