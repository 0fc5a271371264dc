import { type Variables } from '../engine.port';
import { evaluateFeel } from './feel';
import { type Runtime } from './instance-state';
import { visibleVariables } from './variable-scopes';

type Callback = (error: Error | null, output?: unknown) => void;

/**
 * bpmn-engine's script service for one instance: a script task's `zeebe:script` FEEL expression is evaluated
 * against the variables it sees and its value set as the result variable, as Camunda 8 does. A failing
 * expression fails the task, and the instance gets an incident naming the element.
 */
export function zeebeScripts(
  rt: Runtime,
  setVariables: (rt: Runtime, variables: Variables, fromExecutionId?: string) => void,
) {
  return {
    register(): void {},
    getScript(_format: unknown, activity: { id: string }) {
      const spec = rt.definition.compiled.scripts.get(activity.id);
      if (!spec) return undefined;
      return {
        execute(scope: { content?: { executionId?: string } }, callback: Callback): void {
          let value: unknown;
          const executionId = scope?.content?.executionId;
          try {
            value = evaluateFeel(spec.expression, visibleVariables(rt, executionId));
          } catch (error) {
            return callback(new Error(`${activity.id}: zeebe:script failed: ${(error as Error).message}`));
          }
          setVariables(rt, { [spec.resultVariable]: value }, executionId);
          callback(null, {});
        },
      };
    },
  };
}
