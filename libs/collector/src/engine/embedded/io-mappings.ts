import { type Variables } from '../engine.port';
import { resolveAttribute } from './feel';
import { type Runtime } from './instance-state';
import { dropScope, openScope, scopeOf, visibleVariables } from './variable-scopes';

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

/** Sets variables from an element instance outwards (`InstanceRuntimes.setVariables`). */
export type SetVariables = (rt: Runtime, variables: Variables, fromExecutionId?: string) => void;

/**
 * Input and output mappings while an instance runs. An element instance's inputs are evaluated when it starts
 * and kept in its scope (seen by its own attributes, its task's payload and the elements inside it); its
 * outputs are evaluated when it ends, against what it sees, and set from the scope around it outwards; then
 * its scope goes.
 */
export class IoMappings {
  constructor(private readonly setVariables: SetVariables) {}

  /**
   * An element instance started inside `parent`: opens its scope with the given locals (a multi-instance
   * element's item) and evaluates its inputs into it (throws {@link MappingError}).
   */
  enter(
    rt: Runtime,
    elementId: string,
    executionId: string,
    parent: string | undefined,
    given?: Variables,
  ): void {
    const spec = rt.definition.compiled.ioMappings.get(elementId);
    const locals: Variables = { ...given };
    if (spec && spec.inputs.length > 0) {
      const visible = visibleVariables(rt, parent);
      for (const input of spec.inputs) {
        let value: unknown;
        try {
          value = resolveAttribute(input.source, { ...visible, ...locals });
        } catch (error) {
          throw new MappingError(elementId, 'input', input.target, error);
        }
        setPath(locals, input.target, value);
      }
    }
    openScope(rt, executionId, elementId, parent, locals);
  }

  /** The element instance ended: evaluates its outputs into the scopes around it and drops its scope. */
  leave(rt: Runtime, elementId: string, executionId: string): void {
    this.applyOutputs(rt, elementId, executionId);
    dropScope(rt, executionId);
  }

  /** Evaluates an element instance's outputs and sets them from the scope around it outwards. */
  applyOutputs(rt: Runtime, elementId: string, executionId: string): void {
    const spec = rt.definition.compiled.ioMappings.get(elementId);
    if (!spec || spec.outputs.length === 0) return;
    const visible = visibleVariables(rt, executionId);
    const parent = scopeOf(rt, executionId)?.parent;
    const around = visibleVariables(rt, parent);
    const outputs: Variables = {};
    for (const output of spec.outputs) {
      let value: unknown;
      try {
        value = resolveAttribute(output.source, visible);
      } catch (error) {
        throw new MappingError(elementId, 'output', output.target, error);
      }
      const [head] = output.target.split('.');
      if (!(head in outputs) && head in around) outputs[head] = around[head];
      setPath(outputs, output.target, value);
    }
    this.setVariables(rt, outputs, parent);
  }

  /** Forgets the scope of an element instance that was left without completing. */
  discard(rt: Runtime, executionId: string): void {
    dropScope(rt, executionId);
  }
}
