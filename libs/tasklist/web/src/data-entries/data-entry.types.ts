import type { ChangeKind } from '../live/live-set';
import type { ProtocolEntry } from '../tasks/task.types';

/** The data entry fields the list shows (a selection of the contract's `DataEntry`). */
export interface DataEntryRow {
  id: string;
  entryType: string;
  entryId: string;
  type: string;
  name: string;
  applicationName: string;
  state: { processingType: string; state: string | null };
  version: number;
}

/** Everything the data entry detail shows. */
export interface DataEntryDetail extends DataEntryRow {
  description: string | null;
  formKey: string | null;
  payload: Record<string, unknown>;
  protocol: (ProtocolEntry & { logDetails: string | null })[];
  tasks: { id: string; name: string; assignee: string | null; processName: string | null }[];
}

/** One message of the contract's `dataEntryChanges` subscription. */
export interface DataEntryChange {
  kind: ChangeKind;
  dataEntries: DataEntryRow[];
  removedIds: string[];
  position: string;
}
