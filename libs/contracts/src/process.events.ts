import type { SourceReference } from './common.schema';

export type ProcessDefinitionRegistered = {
  type: 'ProcessDefinitionRegistered';
  data: {
    id: string;
    key: string;
    version: number;
    name: string;
    applicationName: string;
    versionTag: string | null;
    description: string | null;
    formKey: string | null;
    startableFromTasklist: boolean;
    candidateStarterUsers: string[];
    candidateStarterGroups: string[];
  };
};

export type ProcessDefinitionEvent = ProcessDefinitionRegistered;

interface ProcessInstanceEventData {
  sourceReference: SourceReference;
  businessKey: string | null;
  /** When it happened, from the command's metadata. */
  time: string;
}

export type ProcessInstanceStarted = {
  type: 'ProcessInstanceStarted';
  /** `parentInstanceId`: the instance whose call activity started it (absent when none did). */
  data: ProcessInstanceEventData & { startUserId: string | null; parentInstanceId?: string };
};
export type ProcessInstanceFinished = { type: 'ProcessInstanceFinished'; data: ProcessInstanceEventData };
export type ProcessInstanceCancelled = {
  type: 'ProcessInstanceCancelled';
  data: ProcessInstanceEventData & { reason: string | null };
};
export type ProcessInstanceSuspended = {
  type: 'ProcessInstanceSuspended';
  data: ProcessInstanceEventData & { reason: string | null };
};
export type ProcessInstanceResumed = { type: 'ProcessInstanceResumed'; data: ProcessInstanceEventData };
/** A user asked to cancel the instance; it runs until the engine reports the cancellation. */
export type ProcessInstanceCancellationRequested = {
  type: 'ProcessInstanceCancellationRequested';
  data: ProcessInstanceEventData & { requestedBy: string | null; reason: string | null };
};
export type ProcessVariablesChanged = {
  type: 'ProcessVariablesChanged';
  data: { sourceReference: SourceReference; variables: Record<string, unknown> };
};

export type ProcessInstanceEvent =
  | ProcessInstanceStarted
  | ProcessInstanceFinished
  | ProcessInstanceCancelled
  | ProcessInstanceSuspended
  | ProcessInstanceResumed
  | ProcessVariablesChanged
  | ProcessInstanceCancellationRequested;
