import { type Logger } from '@nestjs/common';
import { backoffDelay } from '@eddy/observability';
import { type Variables } from '../engine.port';
import { isObject, type Runtime } from './instance-state';
import { visibleVariables } from './io-mappings';

/** A job of a service task, handed to the handler registered for its `zeebe:taskDefinition type`. */
export interface ServiceTaskJob {
  processInstanceId: string;
  elementId: string;
  type: string;
  variables: Variables;
}

/** Runs a service task; the variables it returns are merged into the process variables. */
export type ServiceTaskHandler = (job: ServiceTaskJob) => Variables | void | Promise<Variables | void>;

/** Attempts of a failing handler and the back-off between them. */
export interface ServiceRetryOptions {
  maxAttempts?: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/** What the runner needs of the instance runtimes. */
export interface ServiceTaskRunnerHost {
  handlers: Record<string, ServiceTaskHandler>;
  retries: ServiceRetryOptions;
  /** Runs an action as a step of the instance (stored and delivered like any other). */
  step(rt: Runtime, action: () => void): Promise<void>;
  setVariables(rt: Runtime, variables: Variables): void;
  logger: Logger;
}

/**
 * bpmn-engine's service task behaviour for one instance: runs the handler of the task's type (a task without
 * one completes at once) and tries a failing one again with back-off, as Camunda 8 retries a failed job;
 * after the last attempt the error becomes the instance's incident.
 */
export function serviceTaskBehaviour(rt: Runtime, host: ServiceTaskRunnerHost) {
  const maxAttempts = Math.max(1, host.retries.maxAttempts ?? 3);
  const backoff = {
    initialDelayMs: host.retries.initialDelayMs ?? 1_000,
    maxDelayMs: host.retries.maxDelayMs ?? 30_000,
  };
  return class EmbeddedServiceTask {
    constructor(private readonly activity: { id: string }) {}
    execute(_message: unknown, callback: (error: Error | null, output?: unknown) => void): void {
      const elementId = this.activity.id;
      const type = rt.definition.compiled.serviceTasks.get(elementId) ?? null;
      const handler = type ? host.handlers[type] : undefined;
      if (!handler || !type) return callback(null, {});
      const complete = (output: Variables | void) => {
        if (isObject(output)) host.setVariables(rt, output);
        callback(null, output ?? {});
      };
      const failed = (error: unknown, attempt: number) => {
        const message = error instanceof Error ? error.message : String(error);
        if (attempt >= maxAttempts) {
          return callback(error instanceof Error ? error : new Error(message));
        }
        const delay = backoffDelay(backoff, attempt);
        host.logger.warn(
          `ENGINE-011 instance ${rt.meta.instance.id} service task ${elementId} (${type}): attempt ${attempt} of ${maxAttempts} failed, next in ${delay} ms: ${message}`,
        );
        // An engine timer: the next attempt runs in a step of the instance, and a stop in between
        // leaves the task executing in the stored state, so that it runs again when the engine opens.
        rt.inFlight++;
        rt.timers.setTimeout(() => {
          rt.inFlight--;
          run(attempt + 1);
        }, delay);
      };
      const run = (attempt: number): void => {
        let result: ReturnType<ServiceTaskHandler>;
        try {
          result = handler({
            processInstanceId: rt.meta.instance.id,
            elementId,
            type,
            variables: { ...visibleVariables(rt, elementId) },
          });
        } catch (error) {
          return failed(error, attempt);
        }
        if (!(result instanceof Promise)) return complete(result);
        // The handler finishes later: its outcome is a step of its own.
        rt.inFlight++;
        const settled = (outcome: () => void) =>
          host.step(rt, () => {
            rt.inFlight--;
            rt.engineMoved = true;
            outcome();
          });
        result.then(
          (output) => settled(() => complete(output)),
          (error: unknown) => settled(() => failed(error, attempt)),
        );
      };
      run(1);
    }
  };
}
