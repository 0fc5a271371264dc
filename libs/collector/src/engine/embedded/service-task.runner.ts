import { type Logger } from '@nestjs/common';
import { backoffDelay } from '@eddy/observability';
import { type Variables } from '../engine.port';
import { resolveAttribute } from './feel';
import { isObject, type Runtime } from './instance-state';
import { type JobCallback } from './jobs/jobs';
import { type JobElementSpec } from './jobs/job-elements';
import { type ThrowContent } from './compensation.runtime';

import { throwToEventSubProcess } from './error-event-sub-process.start';
import { visibleVariables } from './variable-scopes';

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
  setVariables(rt: Runtime, variables: Variables, fromExecutionId?: string): void;
  /** Makes the element wait for a job worker (no in-process handler for its type). */
  waitForWorker(
    rt: Runtime,
    spec: JobElementSpec,
    type: string,
    executionId: string,
    callback: JobCallback,
  ): void;
  /** Runs a compensation throw or end event: it completes when its handlers are done. */
  compensate(
    rt: Runtime,
    elementId: string,
    content: ThrowContent,
    done: (error: Error | null, output?: unknown) => void,
  ): void;
  /** Makes an error end event that nothing catches wait with an incident. */
  raiseUncaughtError(rt: Runtime, elementId: string, executionId: string, errorCode: string): void;
  logger: Logger;
}

/**
 * bpmn-engine's service behaviour of the job-based elements of one instance: runs the in-process handler of
 * the job's type and tries a failing one again with back-off, as Camunda 8 retries a failed job (after the
 * last attempt the error becomes the instance's incident); without a handler, the element waits for a job
 * worker (`jobs/jobs.ts`).
 */
export function serviceTaskBehaviour(rt: Runtime, host: ServiceTaskRunnerHost) {
  const maxAttempts = Math.max(1, host.retries.maxAttempts ?? 3);
  const backoff = {
    initialDelayMs: host.retries.initialDelayMs ?? 1_000,
    maxDelayMs: host.retries.maxDelayMs ?? 30_000,
  };
  return class EmbeddedServiceTask {
    constructor(private readonly activity: { id: string }) {}
    execute(
      message: { content: ThrowContent },
      callback: (error: Error | null, output?: unknown) => void,
    ): void {
      const elementId = this.activity.id;
      const compiled = rt.definition.compiled;
      if (compiled.compensations.throws.has(elementId))
        return host.compensate(rt, elementId, message.content, callback);
      const uncaught = compiled.uncaughtErrorEnds.get(elementId);
      if (uncaught !== undefined)
        return host.raiseUncaughtError(rt, elementId, message.content.executionId, uncaught);
      const thrown = compiled.errorEventSubProcesses.errorEnds.get(elementId);
      // In a step of its own: bpmn-engine has not yet listed what runs beside the event while it executes.
      if (thrown !== undefined)
        return void host
          .step(rt, () => {
            rt.engineMoved = true;
            throwToEventSubProcess(rt, elementId, thrown);
          })
          .catch((error: unknown) =>
            host.logger.error(
              `ENGINE-013 instance ${rt.meta.instance.id} error end event ${elementId}: ${(error as Error).message}`,
            ),
          );
      const spec = compiled.jobElements.get(elementId);
      if (!spec) return callback(new Error(`${elementId}: no zeebe:taskDefinition`));
      const executionId = message.content.executionId;
      let type: string;
      try {
        type = String(resolveAttribute(spec.type, visibleVariables(rt, executionId)) ?? '');
      } catch (error) {
        return callback(
          new Error(`${elementId}: the job type cannot be evaluated: ${(error as Error).message}`),
        );
      }
      const handler = host.handlers[type];
      if (!handler) return host.waitForWorker(rt, spec, type, executionId, callback);
      const complete = (output: Variables | void) => {
        if (isObject(output)) host.setVariables(rt, output, executionId);
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
            variables: { ...visibleVariables(rt, executionId) },
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
