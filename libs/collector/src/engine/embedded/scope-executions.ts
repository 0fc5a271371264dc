/**
 * The running executions of the scopes of an instance (the process, its sub-processes) in bpmn-engine, found
 * by element id: for the parts that run elements of a scope themselves (event sub-processes, ad-hoc
 * sub-processes).
 */
import { type ElementApi, type Runtime } from './instance-state';

export interface ScopeExecution {
  getActivityById(id: string): (ActivityLike & { run(message?: unknown): void }) | undefined;
  getPostponed(): (ElementApi & { discard(): void })[];
}

export interface ActivityLike {
  isRunning: boolean;
  execution?: { source?: { execution?: ScopeExecution } };
}

/** The running execution of a scope: the process, or the (first) execution of a sub-process in it. */
export function scopeExecution(rt: Runtime, scopeId: string | null): ScopeExecution | undefined {
  const execution = (rt.engine as unknown as { execution?: { definitions: DefinitionLike[] } } | null)
    ?.execution;
  const process = execution?.definitions[0]?.getRunningProcesses()[0];
  if (!process || scopeId === null) return process;
  const path: string[] = [];
  for (let id: string | undefined = scopeId; id; id = rt.definition.compiled.parents.get(id))
    path.unshift(id);
  let scope: ScopeExecution | undefined = process;
  for (const id of path) {
    const activity: ActivityLike | undefined = scope?.getActivityById(id);
    scope = activity?.isRunning ? activity.execution?.source?.execution : undefined;
  }
  return scope;
}

interface DefinitionLike {
  getRunningProcesses(): ScopeExecution[];
}
