/**
 * Checks of the JSON values that senders choose freely: payloads, process variables. Shared by every API so
 * that each refuses the same input with the same message. The walk is iterative: a value nested thousands of
 * levels deep is refused here instead of overflowing the stack later (in `JSON.stringify`, in an equality).
 */

/** How deep a payload or a set of variables may nest when no setting says otherwise. */
export const DEFAULT_MAX_PAYLOAD_DEPTH = 64;

/** Keys that would reach or replace an object's prototype once copied into a plain object. */
const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Whether `key` may not be used as a payload key, a variable name or a segment of a filter path. */
export const isReservedKey = (key: string): boolean => RESERVED_KEYS.has(key);

/** The message for a reserved key, the same wherever it is refused. */
export const reservedKeyProblem = (key: string): string =>
  `'${key}' is reserved (__proto__, constructor and prototype may not be used as names)`;

/** What is wrong with a value, and where in it (empty: the value itself). */
export interface PayloadProblem {
  path: (string | number)[];
  problem: string;
}

/**
 * The first problem of a JSON value: objects and arrays nested deeper than `maxDepth` (the value itself is
 * level 1), or a reserved key at any level. `null` when there is none.
 */
export function payloadProblem(
  value: unknown,
  maxDepth: number = DEFAULT_MAX_PAYLOAD_DEPTH,
): PayloadProblem | null {
  // Each entry links to its parent instead of carrying its path: copying paths costs the square of the depth.
  const pending: Visit[] = [{ value, key: null, parent: null, depth: 1 }];
  while (pending.length > 0) {
    const visit = pending.pop()!;
    const current = visit.value;
    if (typeof current !== 'object' || current === null) continue;
    if (visit.depth > maxDepth)
      return { path: [], problem: `must be nested at most ${maxDepth} levels deep` };
    if (Array.isArray(current)) {
      current.forEach((item, i) =>
        pending.push({ value: item, key: i, parent: visit, depth: visit.depth + 1 }),
      );
      continue;
    }
    for (const [key, item] of Object.entries(current)) {
      if (isReservedKey(key)) return { path: [...pathOf(visit), key], problem: reservedKeyProblem(key) };
      pending.push({ value: item, key, parent: visit, depth: visit.depth + 1 });
    }
  }
  return null;
}

interface Visit {
  value: unknown;
  key: string | number | null;
  parent: Visit | null;
  depth: number;
}

function pathOf(visit: Visit): (string | number)[] {
  const path: (string | number)[] = [];
  for (let v: Visit | null = visit; v !== null && v.key !== null; v = v.parent) path.unshift(v.key);
  return path;
}
