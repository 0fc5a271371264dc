import { type TaskCancellationReason } from '../engine.port';
import { type ElementApi, type OpenTask, type Runtime } from './instance-state';
import { scopeExecution } from './scope-executions';

/**
 * A terminate end event completed: every other element of its scope is left (in a multi-instance
 * sub-process: of its first inner instance, a limit). Open user tasks of the process
 * scope are cancelled as the instance ends (`instanceEnded`); those of a sub-process as interrupted.
 */
export function terminateScope(
  rt: Runtime,
  api: ElementApi,
  cancelTask: (open: OpenTask, reason: TaskCancellationReason) => void,
  hasEnded: (executionId: string) => boolean,
): void {
  const scopeId = rt.definition.compiled.parents.get(api.id) ?? null;
  if (scopeId === null) for (const open of Object.values(rt.meta.tasks)) cancelTask(open, 'instanceEnded');
  const scope = scopeExecution(rt, scopeId);
  // Elements that completed and are leaving (the terminate end event among them) are not terminated.
  for (const other of scope?.getPostponed() ?? []) if (!hasEnded(other.executionId)) other.discard();
}
