import type { HistoryChange, HistoryEntry } from './history.types';

/** What each event of a task's stream did, in the words of the history list. */
const TASK_EVENTS: Record<string, string> = {
  TaskCreated: 'created the task',
  TaskAssigned: 'assigned the task',
  TaskAttributesUpdated: 'updated the task',
  TaskCandidateUsersChanged: 'changed the candidate users',
  TaskCandidateGroupsChanged: 'changed the candidate groups',
  TaskClaimed: 'claimed the task',
  TaskUnclaimed: 'unclaimed the task',
  TaskToBeCompleted: 'asked to complete the task',
  TaskCompleted: 'completed the task',
  TaskDeleted: 'deleted the task',
  TaskDeferred: 'deferred the task',
  TaskUndeferred: 'undeferred the task',
  TaskDelegated: 'handed the task on',
  TaskEdited: 'edited the task',
  TaskCommentAdded: 'commented',
};

/** Fields whose values say little in one line (the detail shows them in full). */
const SHOWN_WITHOUT_VALUE = new Set(['payload', 'variables', 'correlations', 'description']);

/** Longest value a change shows before it is cut. */
const MAX_VALUE_LENGTH = 60;

/** A change's value in one short line: dates as they are, nothing as "none", long values cut. */
export function changeValue(value: unknown): string {
  if (value === null || value === undefined) return 'none';
  if (Array.isArray(value) && value.length === 0) return 'none';
  const text =
    typeof value === 'string' ? value : Array.isArray(value) ? value.join(', ') : JSON.stringify(value);
  return text.length > MAX_VALUE_LENGTH ? `${text.slice(0, MAX_VALUE_LENGTH - 1)}…` : text;
}

function describeChange(change: HistoryChange): string {
  return SHOWN_WITHOUT_VALUE.has(change.field)
    ? `${change.field} changed`
    : `${change.field}: ${changeValue(change.value)}`;
}

/** One line of a task's history: who did it, what they did, and the fields it changed. */
export interface DescribedEntry {
  /** The user, or "The engine" when an engine or a process application reported it on its own. */
  who: string;
  what: string;
  /** The fields the change set; none for a creation (the task's facts show them) and for a comment. */
  changes: string[];
}

export function describeEntry(entry: HistoryEntry): DescribedEntry {
  const who = entry.userId ?? 'The engine';
  const what = TASK_EVENTS[entry.type] ?? wordsOf(entry.type);
  if (entry.type === 'TaskCreated') return { who, what, changes: [] };
  if (entry.comment) return { who, what: `${what}: “${entry.comment.text}”`, changes: [] };
  return { who, what, changes: entry.changes.map(describeChange) };
}

/** An event type the page does not know yet, in words: `TaskSomethingNew` -> "task something new". */
function wordsOf(type: string): string {
  return type.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}
