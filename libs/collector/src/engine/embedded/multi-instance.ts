import { type Variables } from '../engine.port';
import { resolveAttribute } from './feel';
import { type Runtime } from './instance-state';
import { type IoMappings, type SetVariables } from './io-mappings';
import { dropScope, openScope, scopeOf, visibleVariables } from './variable-scopes';

/** What bpmn-engine's execution messages of a multi-instance element carry, as read here. */
export interface LoopContent {
  id: string;
  executionId: string;
  isMultiInstance?: boolean;
  index?: number;
  loopCardinality?: number;
  [variable: string]: unknown;
}

/** One inner instance (bpmn-engine marks the body as multi-instance too, without index). */
export function isInnerInstance(content: LoopContent | undefined): boolean {
  const index = content?.index;
  return (
    content?.isMultiInstance === true &&
    typeof index === 'number' &&
    content.executionId.endsWith(`_${index}`)
  );
}

/** The multi-instance body's execution id of an inner instance: bpmn-engine names them `<body>_<index>`. */
function bodyOf(content: LoopContent): string {
  return content.executionId.slice(0, -`_${content.index ?? 0}`.length);
}

const PLAIN_VARIABLE = /^=\s*([A-Za-z_$][\w$]*)\s*$/;

/**
 * Multi-instance elements (`zeebe:loopCharacteristics`) in Camunda 8's terms on bpmn-engine's loops. The body
 * has a scope of its own (its output collection and the counters `numberOfInstances`,
 * `numberOfActiveInstances`, `numberOfCompletedInstances`, `numberOfTerminatedInstances`); each inner instance
 * has one inside it, with its item as `inputElement`, `loopCounter` (from 1), the element's input mappings and,
 * when the output element is a variable, that variable set to null, so that what a job or task completion
 * sets under that name stays in the instance. When an inner instance completes, the element's output mappings
 * apply, its output element goes to the output collection at its item's place, and the completion condition
 * is evaluated in the body's scope; when the body completes, the output collection is set around it.
 */
export class MultiInstances {
  /** Completion conditions met, by body execution id, until bpmn-engine asks. */
  private readonly conditionsMet = new Set<string>();

  constructor(
    private readonly ioMappings: IoMappings,
    private readonly setVariables: SetVariables,
  ) {}

  /** The body of a multi-instance element started inside `parent`. */
  bodyStarted(rt: Runtime, elementId: string, executionId: string, parent: string | undefined): void {
    if (scopeOf(rt, executionId)) return;
    const spec = rt.definition.compiled.loops.get(elementId)!;
    const counters = {
      numberOfInstances: 0,
      numberOfActiveInstances: 0,
      numberOfCompletedInstances: 0,
      numberOfTerminatedInstances: 0,
    };
    openScope(rt, executionId, elementId, parent, {
      ...counters,
      ...(spec.outputCollection ? { [spec.outputCollection]: [] } : {}),
    });
  }

  /**
   * bpmn-engine asks for the items of a body that starts: the input collection evaluated in the body's scope.
   * Anything but a list fails the element, naming it, as Camunda 8 raises an incident.
   */
  inputCollection(rt: Runtime, content: LoopContent | undefined): unknown[] {
    const spec = content ? rt.definition.compiled.loops.get(content.id) : undefined;
    if (!content || !spec) throw new Error('a multi-instance element without zeebe:loopCharacteristics');
    const items = resolveAttribute(spec.inputCollection, visibleVariables(rt, content.executionId));
    if (!Array.isArray(items)) {
      const was = items === null || items === undefined ? 'null' : typeof items;
      throw new Error(
        `${content.id}: the inputCollection ${spec.inputCollection} must be a list, but was ${was}`,
      );
    }
    return items;
  }

  /** An inner instance starts: its scope, with its item and the element's input mappings. */
  innerStarted(rt: Runtime, elementId: string, content: LoopContent): void {
    const spec = rt.definition.compiled.loops.get(elementId);
    if (!spec || scopeOf(rt, content.executionId)) return;
    const body = bodyOf(content);
    const index = content.index ?? 0;
    const locals: Variables = {};
    const output = spec.outputElement ? PLAIN_VARIABLE.exec(spec.outputElement)?.[1] : undefined;
    if (output && output !== spec.inputElement) locals[output] = null;
    if (spec.inputElement) locals[spec.inputElement] = content[spec.inputElement] ?? null;
    locals.loopCounter = index + 1;
    this.updateBody(rt, body, (variables) => ({
      numberOfInstances: content.loopCardinality ?? variables.numberOfInstances,
      numberOfActiveInstances: Number(variables.numberOfActiveInstances ?? 0) + 1,
    }));
    this.ioMappings.enter(rt, elementId, content.executionId, body, locals);
  }

  /**
   * An inner instance ended, completed or not (bpmn-engine reports no end of an inner instance): a completed
   * one applies its output mappings and adds its output element; then the completion condition is evaluated.
   */
  innerEnded(rt: Runtime, elementId: string, content: LoopContent, completed: boolean): void {
    const spec = rt.definition.compiled.loops.get(elementId);
    if (!spec || !scopeOf(rt, content.executionId)) return;
    const body = bodyOf(content);
    const index = content.index ?? 0;
    if (completed) {
      this.ioMappings.applyOutputs(rt, elementId, content.executionId);
      if (spec.outputCollection) {
        const value = spec.outputElement
          ? resolveAttribute(spec.outputElement, visibleVariables(rt, content.executionId))
          : null;
        const name = spec.outputCollection;
        this.updateBody(rt, body, (variables) => {
          const collected = Array.isArray(variables[name]) ? [...(variables[name] as unknown[])] : [];
          collected[index] = value;
          return { [name]: collected };
        });
      }
    }
    dropScope(rt, content.executionId);
    this.updateBody(rt, body, (variables) => ({
      numberOfActiveInstances: Math.max(0, Number(variables.numberOfActiveInstances ?? 1) - 1),
      ...(completed
        ? { numberOfCompletedInstances: Number(variables.numberOfCompletedInstances ?? 0) + 1 }
        : { numberOfTerminatedInstances: Number(variables.numberOfTerminatedInstances ?? 0) + 1 }),
    }));
    if (completed && spec.completionCondition) {
      const met = resolveAttribute(spec.completionCondition, visibleVariables(rt, body));
      if (met === true) this.conditionsMet.add(body);
    }
  }

  /** bpmn-engine asks, after an inner instance ended, whether the body is complete. */
  completionConditionMet(content: LoopContent | undefined): boolean {
    if (!content || !isInnerInstance(content)) return false;
    return this.conditionsMet.delete(bodyOf(content));
  }

  /** The body completed: its output collection (nulls for items without output) is set around it. */
  bodyCompleted(rt: Runtime, elementId: string, executionId: string): void {
    const spec = rt.definition.compiled.loops.get(elementId);
    const scope = scopeOf(rt, executionId);
    if (spec?.outputCollection && scope) {
      const collected = scope.variables[spec.outputCollection];
      const list = Array.isArray(collected) ? Array.from(collected, (v: unknown) => v ?? null) : [];
      const count = Number(scope.variables.numberOfInstances ?? 0);
      while (list.length < count) list.push(null);
      this.setVariables(rt, { [spec.outputCollection]: list }, scope.parent);
    }
    this.conditionsMet.delete(executionId);
    dropScope(rt, executionId);
  }

  private updateBody(rt: Runtime, body: string, change: (variables: Variables) => Variables): void {
    const scope = scopeOf(rt, body);
    if (!scope) return;
    scope.variables = { ...scope.variables, ...change(scope.variables) };
    rt.metaChanged = true;
  }
}
