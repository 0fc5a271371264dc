import type { TaskChange } from './task.types';

/**
 * The tasks of one live list after a change of the `taskChanges` subscription: a SNAPSHOT
 * replaces the set, UPSERTED adds or replaces its tasks, REMOVED drops its ids. Returns a new map
 * (the page compares state by reference); an UPSERTED task older than the one held is ignored.
 */
export function applyTaskChange<T extends { id: string; version: number }>(
  current: ReadonlyMap<string, T>,
  change: TaskChange<T>,
): Map<string, T> {
  switch (change.kind) {
    case 'SNAPSHOT':
      return new Map(change.tasks.map((t) => [t.id, t]));
    case 'UPSERTED': {
      const next = new Map(current);
      for (const task of change.tasks) {
        const held = next.get(task.id);
        if (!held || held.version <= task.version) next.set(task.id, task);
      }
      return next;
    }
    case 'REMOVED': {
      const next = new Map(current);
      for (const id of change.removedIds) next.delete(id);
      return next;
    }
    default: {
      const unknown: never = change.kind;
      throw new Error(`unknown change kind ${String(unknown)}`);
    }
  }
}
