import { type Variables } from '../engine.port';
import { resolveAttribute } from './feel';
import { type Runtime } from './instance-state';

/** Sets a variable or a path into one (`a.b` makes or extends the context `a`). */
export function setPath(target: Variables, path: string, value: unknown): void {
  const names = path.split('.');
  let scope = target;
  for (const name of names.slice(0, -1)) {
    const next = scope[name];
    const copy: Variables =
      typeof next === 'object' && next !== null && !Array.isArray(next) ? { ...(next as Variables) } : {};
    scope[name] = copy;
    scope = copy;
  }
  scope[names[names.length - 1]] = value;
}

/** A mapping whose FEEL failed at run time: the instance gets an incident naming the element and the target. */
export class MappingError extends Error {
  constructor(elementId: string, kind: 'input' | 'output', target: string, cause: unknown) {
    super(`${elementId}: ${kind} mapping ${target} failed: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'MappingError';
  }
}

/**
 * Input and output mappings while an instance runs. An element's inputs are evaluated when it starts and kept
 * as its local variables (seen by its own attributes, its task's payload and the elements inside it); its
 * outputs are evaluated when it ends, against the process variables with its locals, and set in the process
 * variables; then its locals go.
 */
export class IoMappings {
  constructor(private readonly setVariables: (rt: Runtime, variables: Variables) => void) {}

  /**
   * The element started: evaluates its inputs (throws {@link MappingError}) over the given locals (a
   * multi-instance element's item) and keeps both.
   */
  enter(rt: Runtime, elementId: string, executionId: string, given?: Variables): void {
    const spec = rt.definition.compiled.ioMappings.get(elementId);
    if (!given && (!spec || spec.inputs.length === 0)) return;
    const visible = visibleVariables(rt, elementId);
    const locals: Variables = { ...given };
    for (const input of spec?.inputs ?? []) {
      let value: unknown;
      try {
        value = resolveAttribute(input.source, { ...visible, ...locals });
      } catch (error) {
        throw new MappingError(elementId, 'input', input.target, error);
      }
      setPath(locals, input.target, value);
    }
    rt.meta.locals = { ...rt.meta.locals, [executionId]: { elementId, variables: locals } };
    rt.metaChanged = true;
  }

  /** The element ended: evaluates its outputs into the process variables and drops its locals. */
  leave(rt: Runtime, elementId: string, executionId: string): void {
    const spec = rt.definition.compiled.ioMappings.get(elementId);
    if (spec && spec.outputs.length > 0) {
      const visible = visibleVariables(rt, elementId, executionId);
      const outputs: Variables = {};
      for (const output of spec.outputs) {
        let value: unknown;
        try {
          value = resolveAttribute(output.source, visible);
        } catch (error) {
          throw new MappingError(elementId, 'output', output.target, error);
        }
        const [head] = output.target.split('.');
        if (!(head in outputs) && head in rt.meta.variables) outputs[head] = rt.meta.variables[head];
        setPath(outputs, output.target, value);
      }
      this.setVariables(rt, outputs);
    }
    this.discard(rt, executionId);
  }

  /** Forgets the locals of an element instance that was left without completing. */
  discard(rt: Runtime, executionId: string): void {
    if (!rt.meta.locals?.[executionId]) return;
    const { [executionId]: _gone, ...rest } = rt.meta.locals;
    rt.meta.locals = rest;
    rt.metaChanged = true;
  }
}

/**
 * The variables an element sees: the process variables, overlaid by the locals of the element instances
 * enclosing it (sub-processes, outermost first) and by its own (of one execution, when given).
 */
export function visibleVariables(rt: Runtime, elementId: string, executionId?: string): Variables {
  const locals = rt.meta.locals;
  if (!locals || Object.keys(locals).length === 0) return rt.meta.variables;
  const chain: string[] = [];
  const parents = rt.definition.compiled.parents;
  for (let id: string | undefined = elementId; id; id = parents.get(id)) chain.unshift(id);
  const scope: Variables = { ...rt.meta.variables };
  for (const id of chain) {
    for (const [execution, local] of Object.entries(locals)) {
      if (local.elementId !== id) continue;
      if (id === elementId && executionId && execution !== executionId) continue;
      Object.assign(scope, local.variables);
    }
  }
  return scope;
}
