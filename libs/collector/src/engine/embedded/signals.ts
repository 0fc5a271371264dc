import { type Logger } from '@nestjs/common';
import { type Variables } from '../engine.port';
import { type ElementApi, type InstanceMeta, type Runtime } from './instance-state';

/** What the signals need of the instance runtimes. */
export interface SignalsHost {
  get(instanceId: string): Runtime | undefined;
  step<T>(rt: Runtime, action: () => Promise<T> | T): Promise<T>;
  ensureEngine(rt: Runtime): Promise<void>;
  setVariables(rt: Runtime, variables: Variables): void;
}

/**
 * Signals as Camunda 8 broadcasts them (`signal-events.ts` reads the events): a broadcast reaches every
 * signal catch event of that name that an instance waits at (each as a step of its instance, the signal's
 * variables merged into the instance's) and starts an instance of every process whose signal start event
 * names it. A signal throw or end event broadcasts its signal once its step is committed. A signal that
 * nothing waits for is gone, as in Camunda 8.
 *
 * Log codes: `ENGINE-06x`.
 */
export class Signals {
  /** Instance ids by signal name. */
  private readonly index = new Map<string, Set<string>>();

  constructor(
    private readonly host: SignalsHost,
    private readonly logger: Logger,
    /** Starts an instance of every process whose signal start event names the signal; their ids. */
    private readonly startInstances: (name: string, variables: Variables) => Promise<string[]>,
  ) {}

  /** Indexes the signal catch events an instance read from the store waits at. */
  restore(meta: InstanceMeta): void {
    for (const name of Object.values(meta.signalSubscriptions ?? {})) this.add(name, meta.instance.id);
  }

  /** bpmn-engine waits at an element: a signal catch event waits for its signal. */
  elementWaits(rt: Runtime, api: ElementApi): void {
    const name = rt.definition.compiled.signalCatches.get(api.id);
    if (name === undefined) return;
    rt.waiting.set(api.executionId, api);
    const subscriptions = (rt.meta.signalSubscriptions ??= {});
    if (subscriptions[api.id] === name) return;
    subscriptions[api.id] = name;
    rt.metaChanged = true;
    this.add(name, rt.meta.instance.id);
  }

  /** An element left: a signal catch event no longer waits; a signal throw event broadcasts its signal. */
  elementLeft(rt: Runtime, api: ElementApi, completed: boolean): void {
    const subscriptions = rt.meta.signalSubscriptions;
    if (subscriptions?.[api.id] !== undefined) {
      const name = subscriptions[api.id];
      delete subscriptions[api.id];
      rt.metaChanged = true;
      if (!Object.values(subscriptions).includes(name)) this.remove(name, rt.meta.instance.id);
    }
    const thrown = rt.definition.compiled.signalThrows.get(api.id);
    if (thrown !== undefined && completed) {
      // After the step that threw it: the instance's own step is not entered again from inside.
      setImmediate(() => {
        this.broadcast(thrown, {}).catch((error: unknown) =>
          this.logger.error(`ENGINE-060 signal ${thrown} thrown at ${api.id}: ${(error as Error).message}`),
        );
      });
    }
  }

  /** The instance ended: it waits for no signal. */
  forget(rt: Runtime): void {
    for (const name of Object.values(rt.meta.signalSubscriptions ?? {}))
      this.remove(name, rt.meta.instance.id);
    rt.meta.signalSubscriptions = {};
  }

  /** Broadcasts a signal; the ids of the instances it reached or started. */
  async broadcast(name: string, variables: Variables): Promise<string[]> {
    const reached: string[] = [];
    for (const instanceId of [...(this.index.get(name) ?? [])]) {
      const rt = this.host.get(instanceId);
      if (!rt) continue;
      const caught = await this.host.step(rt, async () => {
        if (rt.ended) return false;
        await this.host.ensureEngine(rt);
        const elementIds = Object.entries(rt.meta.signalSubscriptions ?? {})
          .filter(([, signal]) => signal === name)
          .map(([elementId]) => elementId);
        const waiting = [...rt.waiting.values()].filter((api) => elementIds.includes(api.id));
        if (waiting.length === 0) return false;
        this.host.setVariables(rt, variables);
        rt.engineMoved = true;
        for (const api of waiting) api.signal({ ...variables });
        return true;
      });
      if (caught) reached.push(instanceId);
    }
    reached.push(...(await this.startInstances(name, variables)));
    this.logger.log(`ENGINE-061 signal ${name} broadcast: ${reached.length} instances`);
    return reached;
  }

  private add(name: string, instanceId: string): void {
    let ids = this.index.get(name);
    if (!ids) this.index.set(name, (ids = new Set()));
    ids.add(instanceId);
  }

  private remove(name: string, instanceId: string): void {
    const ids = this.index.get(name);
    ids?.delete(instanceId);
    if (ids?.size === 0) this.index.delete(name);
  }
}
