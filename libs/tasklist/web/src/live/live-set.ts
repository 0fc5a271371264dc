/** The kinds of message of the contract's `taskChanges` and `dataEntryChanges` subscriptions. */
export type ChangeKind = 'SNAPSHOT' | 'UPSERTED' | 'REMOVED';

/** One change of a live list, whatever it holds: its kind, the items it brings, the ids that left. */
export interface LiveChange<T> {
  kind: ChangeKind;
  items: T[];
  removedIds: string[];
}

/**
 * A live list after a change of its subscription: a SNAPSHOT replaces the set, UPSERTED adds or
 * replaces its items, REMOVED drops its ids. Returns a new map (the page compares state by
 * reference); an UPSERTED item older than the one held is ignored.
 */
export function applyLiveChange<T extends { id: string; version: number }>(
  current: ReadonlyMap<string, T>,
  change: LiveChange<T>,
): Map<string, T> {
  switch (change.kind) {
    case 'SNAPSHOT':
      return new Map(change.items.map((t) => [t.id, t]));
    case 'UPSERTED': {
      const next = new Map(current);
      for (const item of change.items) {
        const held = next.get(item.id);
        if (!held || held.version <= item.version) next.set(item.id, item);
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
