import type { CommandMetadata } from './common.schema';

/**
 * The shape of every aggregate's business logic: a pure function that decides which events a
 * command causes, and a pure function that folds events into state.
 *
 * Deciders do no I/O, read no clock and make no ids: the time of a command arrives in
 * `metadata.timestamp`. A command the rules refuse makes `decide` throw a `DomainError` whose
 * code is part of the public API; a command that would change nothing returns no events.
 */
export interface Decider<Command, Event, State> {
  /** The events that `command` causes in `state`; throws `DomainError` when the rules refuse it. */
  decide(command: Command, state: State, metadata: CommandMetadata): Event[];
  /** The state after `event`. Must accept every event `decide` emits, in the order emitted. */
  evolve(state: State, event: Event): State;
  /** The state of a stream that has no events. */
  initialState(): State;
}

/** Folds events into state, starting from the decider's initial state (or from `from`). */
export function foldEvents<Command, Event, State>(
  decider: Decider<Command, Event, State>,
  events: readonly Event[],
  from: State = decider.initialState(),
): State {
  return events.reduce(decider.evolve, from);
}

/**
 * Structural equality of JSON-like values (payloads, variables, references). Key order of
 * objects does not matter, element order of arrays does. Used by deciders to emit only the
 * changes that really change something.
 */
export function jsonEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    // NaN is not JSON, but treat it as equal to itself so that a decider never loops on it.
    return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => jsonEquals(item, b[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keysA = Object.keys(ra).filter((k) => ra[k] !== undefined);
  const keysB = Object.keys(rb).filter((k) => rb[k] !== undefined);
  return (
    keysA.length === keysB.length && keysA.every((k) => Object.hasOwn(rb, k) && jsonEquals(ra[k], rb[k]))
  );
}

/**
 * Whether two optional ISO-8601 date-times denote the same instant: engines write the same time
 * as `...T10:00:00Z` or `...T10:00:00.000+00:00`, and that is not a change.
 */
export function sameInstant(a: string | null | undefined, b: string | null | undefined): boolean {
  if (a == null || b == null) return a == b;
  if (a === b) return true;
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  return !Number.isNaN(ta) && ta === tb;
}

/** The members of `list` without repetitions, in the order of their first occurrence. */
export function distinct<T>(list: readonly T[]): T[] {
  return [...new Set(list)];
}

/** For the `default` branch of a switch over a union: fails to compile when a member is forgotten. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
