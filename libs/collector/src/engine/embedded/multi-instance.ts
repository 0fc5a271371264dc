import { type Variables } from '../engine.port';
import { resolveAttribute } from './feel';
import { type Runtime } from './instance-state';
import { visibleVariables } from './io-mappings';

/** What bpmn-engine tells of an element instance, as read here. */
export interface LoopApi {
  id: string;
  executionId: string;
  content?: { isMultiInstance?: boolean; isRootScope?: boolean; index?: number; [variable: string]: unknown };
}

/** One instance of a multi-instance element (bpmn-engine marks the body as multi-instance too, without index). */
function isInstance(api: LoopApi): boolean {
  const index = api.content?.index;
  return (
    api.content?.isMultiInstance === true &&
    typeof index === 'number' &&
    api.executionId.endsWith(`_${index}`)
  );
}

/** The multi-instance body's execution id of an instance: bpmn-engine names instances `<body>_<index>`. */
function bodyOf(api: LoopApi): string {
  return api.executionId.slice(0, -`_${api.content?.index ?? 0}`.length);
}

/**
 * Multi-instance user tasks in Camunda 8's terms on bpmn-engine's loops: each instance gets its item as the
 * local variable `inputElement` (and `loopCounter`, from 1) when it starts waiting; its `outputElement` goes to `outputCollection`,
 * which lives in the body while it runs and is set in the process variables when the body completes.
 */
export class MultiInstances {
  constructor(private readonly setVariables: (rt: Runtime, variables: Variables) => void) {}

  /** The local variables of an instance that starts; undefined for anything else. */
  instanceLocals(rt: Runtime, api: LoopApi): Variables | undefined {
    const spec = rt.definition.compiled.loops.get(api.id);
    if (!spec || !isInstance(api)) return undefined;
    const index = api.content?.index ?? 0;
    const locals: Variables = { loopCounter: index + 1 };
    if (spec.inputElement) locals[spec.inputElement] = api.content?.[spec.inputElement] ?? null;
    return locals;
  }

  /**
   * An instance completes (bpmn-engine reports no end of an instance: this is called before its task is
   * signalled): its output element goes to the body's output collection.
   */
  instanceCompleted(rt: Runtime, api: LoopApi): void {
    const spec = rt.definition.compiled.loops.get(api.id);
    if (!spec?.outputCollection || !isInstance(api)) return;
    const value = spec.outputElement
      ? resolveAttribute(spec.outputElement, visibleVariables(rt, api.id, api.executionId))
      : null;
    const body = bodyOf(api);
    const scope = rt.meta.locals?.[body] ?? { elementId: api.id, variables: {} };
    const collected = Array.isArray(scope.variables[spec.outputCollection])
      ? [...(scope.variables[spec.outputCollection] as unknown[])]
      : [];
    collected[api.content?.index ?? collected.length] = value;
    rt.meta.locals = {
      ...rt.meta.locals,
      [body]: { ...scope, variables: { ...scope.variables, [spec.outputCollection]: collected } },
    };
    rt.metaChanged = true;
  }

  /** The body completed: its output collection is set in the process variables. */
  bodyCompleted(rt: Runtime, api: LoopApi): void {
    const spec = rt.definition.compiled.loops.get(api.id);
    if (!spec?.outputCollection || isInstance(api)) return;
    const collected = rt.meta.locals?.[api.executionId]?.variables[spec.outputCollection];
    this.setVariables(rt, { [spec.outputCollection]: Array.isArray(collected) ? collected : [] });
  }
}
