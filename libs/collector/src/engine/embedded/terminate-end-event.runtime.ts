import { type TaskCancellationReason } from '../engine.port';
import { type ElementApi, type OpenTask, type Runtime } from './instance-state';
import { scopeExecution, type ScopeExecution } from './scope-executions';

/**
 * A terminate end event completed: every other element of its scope is left (in a multi-instance
 * sub-process, of its own inner instance only). Open user tasks of the process scope are cancelled as the
 * instance ends (`instanceEnded`); those of a sub-process as interrupted.
 */
export function terminateScope(
  rt: Runtime,
  api: ElementApi,
  cancelTask: (open: OpenTask, reason: TaskCancellationReason) => void,
  hasEnded: (executionId: string) => boolean,
): void {
  const scopeId = rt.definition.compiled.parents.get(api.id) ?? null;
  if (scopeId === null) for (const open of Object.values(rt.meta.tasks)) cancelTask(open, 'instanceEnded');
  const scope = scopeId === null ? scopeExecution(rt, null) : subProcessExecution(rt, scopeId, api);
  // Elements that completed and are leaving (the terminate end event among them) are not terminated.
  for (const other of scope?.getPostponed() ?? []) if (!hasEnded(other.executionId)) other.discard();
}

interface SubProcessLike {
  execution?: { source?: { executions?: (ScopeExecution & { executionId?: string })[] } };
}

/** The execution of the sub-process (of its inner instance, when it is multi-instance) the event is in. */
function subProcessExecution(rt: Runtime, scopeId: string, api: ElementApi): ScopeExecution | undefined {
  const around = scopeExecution(rt, rt.definition.compiled.parents.get(scopeId) ?? null);
  const activity = around?.getActivityById(scopeId) as SubProcessLike | undefined;
  const executions = activity?.execution?.source?.executions ?? [];
  const own = api.content?.parent?.executionId;
  return executions.find((execution) => execution.executionId === own) ?? executions[0];
}
