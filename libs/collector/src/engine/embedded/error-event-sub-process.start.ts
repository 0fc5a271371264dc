/**
 * Starts the error event sub-processes of a running instance (see `error-event-sub-processes.ts`, which finds
 * the one that catches an error).
 */
import { type ElementApi, type Runtime } from './instance-state';
import { eventSubProcessCatching, type ErrorEventSubProcess } from './error-event-sub-processes';

interface RunningProcess {
  getActivityById(id: string): { run(message?: unknown): void } | undefined;
  getApi(): { sendApiMessage(action: string, content: unknown, options?: unknown): void };
}

interface EngineExecution {
  definitions: { getRunningProcesses(): RunningProcess[] }[];
  getPostponed(): (ElementApi & { discard(): void })[];
}

/**
 * Starts an error event sub-process of the running instance for an error with this code, and discards every
 * other element of the process (an error event sub-process always interrupts).
 */
export function startErrorEventSubProcess(rt: Runtime, esp: ErrorEventSubProcess, errorCode: string): void {
  const execution = (rt.engine as unknown as { execution?: EngineExecution } | null)?.execution;
  const process = execution?.definitions[0]?.getRunningProcesses()[0];
  const activity = process?.getActivityById(esp.id);
  if (!execution || !process || !activity)
    throw new Error(`${esp.id}: the event sub-process cannot be started: the instance is not running`);
  const message = {
    id: esp.errorRefId ?? 'anonymous',
    type: 'bpmn:Error',
    code: errorCode,
    messageType: 'throw',
  };
  activity.run(message);
  // The error start event inside waits for the error: sent as bpmn-engine sends a delegated throw.
  process.getApi().sendApiMessage('throw', { message }, { delegate: true });
  for (const api of execution.getPostponed()) if (api.id !== esp.id) api.discard();
}

/** An error end event whose error an error event sub-process of the process catches throws it there. */
export function throwToEventSubProcess(rt: Runtime, elementId: string, errorCode: string): void {
  const esp = eventSubProcessCatching(rt.definition.compiled.errorEventSubProcesses, elementId, errorCode);
  try {
    if (!esp) throw new Error(`${elementId}: no error event sub-process catches error ${errorCode}`);
    startErrorEventSubProcess(rt, esp, errorCode);
  } catch (error) {
    // An incident, as for any step that cannot go on.
    rt.incident ??= error as Error;
  }
}
