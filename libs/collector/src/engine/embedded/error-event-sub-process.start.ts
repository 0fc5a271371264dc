/**
 * Starts the error event sub-processes of a running instance (see `error-event-sub-processes.ts`, which finds
 * the one that catches an error).
 */
import { type Runtime } from './instance-state';
import { eventSubProcessCatching, type ErrorEventSubProcess } from './error-event-sub-processes';
import { scopeExecution, type ScopeExecution } from './scope-executions';

interface ThrowingScope extends ScopeExecution {
  getApi(): { sendApiMessage(action: string, content: unknown, options?: unknown): void };
}

/**
 * Starts an error event sub-process of the running instance for an error with this code, in its scope (the
 * process or the running sub-process around it), and discards every other element of that scope (an error
 * event sub-process always interrupts).
 */
export function startErrorEventSubProcess(rt: Runtime, esp: ErrorEventSubProcess, errorCode: string): void {
  const scope = scopeExecution(rt, esp.scopeId) as ThrowingScope | undefined;
  const activity = scope?.getActivityById(esp.id);
  if (!scope || !activity)
    throw new Error(
      `${esp.id}: the event sub-process cannot be started: ${esp.scopeId ?? 'the instance'} is not running`,
    );
  const message = {
    id: esp.errorRefId ?? 'anonymous',
    type: 'bpmn:Error',
    code: errorCode,
    messageType: 'throw',
  };
  // What ran before: what the event sub-process starts (a compensation handler) is not interrupted.
  const interrupted = scope.getPostponed().filter((api) => api.id !== esp.id);
  activity.run(message);
  // The error start event inside waits for the error: sent as bpmn-engine sends a delegated throw.
  scope.getApi().sendApiMessage('throw', { message }, { delegate: true });
  for (const api of interrupted) api.discard();
}

/** An error end event whose error an error event sub-process catches throws it there. */
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
