import { EngineError } from '../engine.errors';
import { type CorrelateMessageRequest, type MessageCorrelationResult } from '../engine.port';
import { isObject, type ElementApi } from './instance-state';
import { type InstanceRuntimes } from './instance-runtime';
import { type MessageSubscriptions } from './message-subscriptions';

/** Correlates messages to the instances waiting for them, each as a step of its instance. */
export class MessageCorrelation {
  constructor(
    private readonly runtimes: InstanceRuntimes,
    private readonly subscriptions: MessageSubscriptions,
  ) {}

  async correlate(request: CorrelateMessageRequest): Promise<MessageCorrelationResult> {
    if (!request?.name) throw new EngineError('INVALID_ARGUMENT', 'name: a message name is required');
    if (typeof request.correlationKey !== 'string') {
      throw new EngineError('INVALID_ARGUMENT', 'correlationKey: a string is required');
    }
    if (request.variables !== undefined && !isObject(request.variables)) {
      throw new EngineError('INVALID_ARGUMENT', 'variables: must be an object');
    }
    const instanceIds: string[] = [];
    for (const instanceId of this.subscriptions.waitingFor(request.name, request.correlationKey)) {
      const rt = this.runtimes.get(instanceId);
      if (!rt) continue;
      const correlated = await this.runtimes.step(rt, async () => {
        const subscription = Object.values(rt.meta.subscriptions).find(
          (s) => s.messageName === request.name && s.correlationKey === request.correlationKey,
        );
        if (!subscription || rt.ended) return false;
        await this.runtimes.ensureEngine(rt);
        const api = rt.engine!.execution.getPostponed().find((a) => a.id === subscription.elementId) as
          ElementApi | undefined;
        if (!api) return false;
        this.runtimes.setVariables(rt, request.variables ?? {});
        rt.engineMoved = true;
        api.signal({ ...(request.variables ?? {}) });
        return true;
      });
      if (correlated) instanceIds.push(instanceId);
    }
    return { instanceIds };
  }
}
