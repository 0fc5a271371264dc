import { type Variables } from '../../engine.port';
import { resolveAttribute } from '../feel';
import { type Runtime } from '../instance-state';
import { visibleVariables } from '../variable-scopes';
import { type DecisionRepository } from './decisions';

type Callback = (error: Error | null, output?: unknown) => void;

/**
 * bpmn-engine's behaviour of a business rule task with `zeebe:calledDecision` for one instance: evaluates the
 * deployed decision against the variables the task sees and sets its result as the result variable. A missing
 * decision or a failing evaluation fails the task, and the instance gets an incident naming the element.
 */
export function businessRuleTaskBehaviour(
  rt: Runtime,
  decisions: DecisionRepository,
  setVariables: (rt: Runtime, variables: Variables, fromExecutionId?: string) => void,
) {
  return class BusinessRuleTask {
    constructor(private readonly activity: { id: string }) {}
    execute(message: { content?: { executionId?: string } }, callback: Callback): void {
      const elementId = this.activity.id;
      const spec = rt.definition.compiled.decisions.get(elementId);
      if (!spec) return callback(new Error(`${elementId}: no zeebe:calledDecision`));
      let result: unknown;
      try {
        const variables = visibleVariables(rt, message?.content?.executionId);
        const decisionId = String(resolveAttribute(spec.decisionId, variables));
        result = decisions.evaluate(decisionId, variables);
      } catch (error) {
        return callback(new Error(`${elementId}: decision ${spec.decisionId}: ${(error as Error).message}`));
      }
      setVariables(rt, { [spec.resultVariable]: result }, message?.content?.executionId);
      callback(null, {});
    }
  };
}
