import type { DataEntryRef, DataEntryState, ProcessingType } from './common.schema';

/** One line of a data entry's history. */
export interface ProtocolEntry {
  time: string;
  processingType: ProcessingType;
  state: string | null;
  username: string | null;
  logMessage: string | null;
  logDetails: string | null;
}

/** The attributes a process application reports for a data entry. */
export interface DataEntryAttributes {
  entryType: string;
  entryId: string;
  type: string;
  name: string;
  applicationName: string;
  description: string | null;
  formKey: string | null;
  state: { processingType: ProcessingType; state: string | null };
  payload: Record<string, unknown>;
  correlations: DataEntryRef[];
}

export interface AuthorizationChanges {
  addedUsers: string[];
  removedUsers: string[];
  addedGroups: string[];
  removedGroups: string[];
}

export type DataEntryCreated = {
  type: 'DataEntryCreated';
  data: DataEntryAttributes & {
    authorizedUsers: string[];
    authorizedGroups: string[];
    protocolEntry: ProtocolEntry | null;
  };
};
export type DataEntryUpdated = {
  type: 'DataEntryUpdated';
  /** The attributes after the update (full, not a diff) and the authorization changes it made. */
  data: DataEntryAttributes & {
    authorizations: AuthorizationChanges;
    protocolEntry: ProtocolEntry | null;
  };
};
export type DataEntryDeleted = {
  type: 'DataEntryDeleted';
  data: { entryType: string; entryId: string; protocolEntry: ProtocolEntry };
};
export type DataEntryAnonymized = {
  type: 'DataEntryAnonymized';
  data: {
    entryType: string;
    entryId: string;
    anonymizedUsername: string;
    excludedUsernames: string[];
    /** User authorizations that the anonymization removed. */
    removedUsers: string[];
  };
};

export type DataEntryEvent = DataEntryCreated | DataEntryUpdated | DataEntryDeleted | DataEntryAnonymized;

export type { DataEntryState };
