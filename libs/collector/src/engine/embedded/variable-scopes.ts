import { type Variables } from '../engine.port';
import { type ElementApi, type LocalScope, type Runtime } from './instance-state';

/**
 * The variable scopes of a running instance, as Camunda 8 has them: the process variables at the root, and
 * a scope per element instance that needs one (an element with input mappings, an element inside a
 * sub-process, a sub-process, a multi-instance body and each of its inner instances), kept in
 * `meta.locals` by bpmn-engine execution id with the execution id of the scope around it. Two parallel
 * instances of one element therefore never see each other's variables.
 */

/** Opens (or replaces) the scope of an element instance inside `parent` (undefined: the process). */
export function openScope(
  rt: Runtime,
  executionId: string,
  elementId: string,
  parent: string | undefined,
  variables: Variables = {},
): LocalScope {
  const scope: LocalScope = { elementId, variables, ...(parent ? { parent } : {}) };
  rt.meta.locals = { ...rt.meta.locals, [executionId]: scope };
  rt.metaChanged = true;
  return scope;
}

/** The scope of an element instance, if it has one. */
export function scopeOf(rt: Runtime, executionId: string | undefined): LocalScope | undefined {
  return executionId ? rt.meta.locals?.[executionId] : undefined;
}

/** Drops the scope of an element instance and every scope inside it. */
export function dropScope(rt: Runtime, executionId: string): void {
  const locals = rt.meta.locals;
  if (!locals || Object.keys(locals).length === 0) return;
  const gone = new Set([executionId]);
  // Scopes are opened outside in, so one pass in insertion order finds every nested one.
  for (const [id, scope] of Object.entries(locals)) if (scope.parent && gone.has(scope.parent)) gone.add(id);
  if (![...gone].some((id) => id in locals)) return;
  rt.meta.locals = Object.fromEntries(Object.entries(locals).filter(([id]) => !gone.has(id)));
  rt.metaChanged = true;
}

/** The scopes from an element instance's own out to the outermost one (the process variables not included). */
export function scopeChain(rt: Runtime, executionId: string | undefined): LocalScope[] {
  const chain: LocalScope[] = [];
  const seen = new Set<string>();
  for (let id = executionId; id && !seen.has(id);) {
    seen.add(id);
    const scope = rt.meta.locals?.[id];
    if (!scope) break;
    chain.push(scope);
    id = scope.parent;
  }
  return chain;
}

/**
 * The variables an element instance sees: the process variables, overlaid by the scopes around it (outermost
 * first) and by its own.
 */
export function visibleVariables(rt: Runtime, executionId: string | undefined): Variables {
  const chain = scopeChain(rt, executionId);
  if (chain.length === 0) return rt.meta.variables;
  const visible: Variables = { ...rt.meta.variables };
  for (const scope of chain.reverse()) Object.assign(visible, scope.variables);
  return visible;
}

/**
 * Sets variables from an element instance as Camunda 8 propagates them: each goes to the nearest scope from
 * the instance outwards that has a variable of that name; the others are returned, for the process variables.
 */
export function propagateToScopes(
  rt: Runtime,
  executionId: string | undefined,
  variables: Variables,
): Variables {
  const chain = scopeChain(rt, executionId);
  if (chain.length === 0) return variables;
  const rest: Variables = {};
  for (const [name, value] of Object.entries(variables)) {
    const scope = chain.find((s) => Object.hasOwn(s.variables, name));
    if (!scope) {
      rest[name] = value;
      continue;
    }
    scope.variables = { ...scope.variables, [name]: value };
    rt.metaChanged = true;
  }
  return rest;
}

/** What bpmn-engine's messages tell of where they run: an element instance and the ones around it. */
export interface MessageScope {
  executionId?: string;
  parent?: { executionId?: string; path?: { executionId?: string }[] };
}

/**
 * The scope an expression bpmn-engine evaluates (a sequence flow's condition, a timer) runs in: the nearest
 * of the element instance and the ones around it that has a scope; undefined for the process.
 */
export function scopeOfMessage(rt: Runtime, content: MessageScope | undefined): string | undefined {
  if (!content || !rt.meta.locals) return undefined;
  const candidates = [
    content.executionId,
    content.parent?.executionId,
    ...(content.parent?.path ?? []).map((p) => p.executionId),
  ];
  return candidates.find((id) => id !== undefined && Object.hasOwn(rt.meta.locals!, id));
}

/** The execution id of the scope an element instance runs in: its sub-process's, or none in the process. */
export function scopeAround(api: ElementApi): string | undefined {
  const parent = api.content?.parent;
  return parent && parent.type !== 'bpmn:Process' ? parent.executionId : undefined;
}
