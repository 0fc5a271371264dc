import type { DataEntryEvent } from './data-entry.events';
import type { ProcessDefinitionEvent, ProcessInstanceEvent } from './process.events';
import type { SavedFilterEvent } from './saved-filter.events';
import type { TaskEvent } from './task.events';

/** Every domain event of Eddy. */
export type DomainEvent =
  TaskEvent | DataEntryEvent | ProcessDefinitionEvent | ProcessInstanceEvent | SavedFilterEvent;
export type DomainEventType = DomainEvent['type'];

/**
 * The schema version each event type is written with today. Raise it when the shape of an
 * event's data changes, and add an upcaster from the previous version to the chain below.
 */
export const eventSchemaVersions: Record<DomainEventType, number> = {
  TaskCreated: 1,
  TaskAssigned: 1,
  TaskAttributesUpdated: 1,
  TaskCandidateUsersChanged: 1,
  TaskCandidateGroupsChanged: 1,
  TaskCompleted: 1,
  TaskDeleted: 1,
  TaskClaimed: 1,
  TaskUnclaimed: 1,
  TaskToBeCompleted: 1,
  TaskDeferred: 1,
  TaskUndeferred: 1,
  TaskDelegated: 1,
  TaskEdited: 1,
  TaskCommentAdded: 1,
  DataEntryCreated: 1,
  DataEntryUpdated: 1,
  DataEntryDeleted: 1,
  DataEntryAnonymized: 1,
  ProcessDefinitionRegistered: 1,
  ProcessInstanceStarted: 1,
  ProcessInstanceFinished: 1,
  ProcessInstanceCancelled: 1,
  ProcessInstanceSuspended: 1,
  ProcessInstanceResumed: 1,
  ProcessVariablesChanged: 1,
  ProcessInstanceCancellationRequested: 1,
  FilterSaved: 1,
  FilterUpdated: 1,
  FilterShared: 1,
  FilterDeleted: 1,
};

/** Turns the data of version `from` into the data of version `from + 1`. */
export type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

/** For each event type, the upcaster from each old version to the next. */
export type UpcasterChain = Partial<Record<string, Record<number, Upcaster>>>;

/** The upcasters of Eddy's own events: none yet, every event type is at version 1. */
export const eventUpcasters: UpcasterChain = {};

export interface VersionedEvent {
  type: string;
  schemaVersion: number;
  data: Record<string, unknown>;
}

/**
 * Builds a function that brings an event's data to the current schema version of its type by
 * applying the chain's upcasters one version at a time. Events of types it does not know pass
 * unchanged. An event written by a newer version than this reader knows is an error: reading it
 * as if it were current would misread it.
 */
export function createUpcaster(
  currentVersions: Readonly<Record<string, number>>,
  chain: UpcasterChain,
): <E extends VersionedEvent>(event: E) => E {
  return <E extends VersionedEvent>(event: E): E => {
    const current = currentVersions[event.type];
    if (current === undefined || event.schemaVersion === current) return event;
    if (event.schemaVersion > current) {
      throw new Error(
        `event ${event.type} has schema version ${event.schemaVersion}, newer than the ${current} this reader knows`,
      );
    }
    let data = event.data;
    for (let version = event.schemaVersion; version < current; version++) {
      const up = chain[event.type]?.[version];
      if (!up) throw new Error(`event ${event.type}: no upcaster from schema version ${version}`);
      data = up(data);
    }
    return { ...event, schemaVersion: current, data };
  };
}

/** Upcasts Eddy's events to their current versions. */
export const upcastEvent = createUpcaster(eventSchemaVersions, eventUpcasters);
