import {
  DomainError,
  distinct,
  jsonEquals,
  type Decider,
  type FilterSaved,
  type FilterUpdated,
  type SavedFilterCommand,
  type SavedFilterEvent,
} from '@eddy/contracts';

/** A saved filter as its stream knows it. */
export interface SavedFilterFields {
  owner: string;
  name: string;
  filter: Record<string, unknown>;
  sort: FilterSaved['data']['sort'];
  sharedWithGroups: string[];
}

/** The state of one saved filter stream. */
export type SavedFilterState =
  { status: 'none' } | { status: 'saved'; filter: SavedFilterFields } | { status: 'deleted' };

/** Codes with which the saved filter decider refuses commands. */
export const SavedFilterErrorCodes = {
  FILTER_EXISTS: 'FILTER_EXISTS',
  FILTER_NOT_FOUND: 'FILTER_NOT_FOUND',
} as const;

function notFound(id: string): DomainError {
  return new DomainError(
    SavedFilterErrorCodes.FILTER_NOT_FOUND,
    `saved filter ${id} does not exist`,
    'data.id',
  );
}

/**
 * The saved filters of the tasklist's users. Who may change which filter (its owner, an admin) is
 * the tasklist's rule, checked before it sends the command; the decider keeps a filter's stream
 * consistent: saved once, changed only while it exists, and changes that change nothing emit nothing.
 */
export const savedFilterDecider: Decider<SavedFilterCommand, SavedFilterEvent, SavedFilterState> = {
  decide(command, state) {
    const id = command.data.id;
    if (command.type === 'SaveFilter') {
      const saved: FilterSaved['data'] = {
        id,
        owner: command.data.owner,
        name: command.data.name,
        filter: command.data.filter,
        sort: command.data.sort ?? [],
      };
      if (state.status === 'none') return [{ type: 'FilterSaved', data: saved }];
      throw new DomainError(
        SavedFilterErrorCodes.FILTER_EXISTS,
        `saved filter ${id} exists already`,
        'data.id',
      );
    }
    if (state.status !== 'saved') throw notFound(id);
    const current = state.filter;
    switch (command.type) {
      case 'UpdateFilter': {
        const changes: FilterUpdated['data'] = { id };
        const { name, filter, sort } = command.data;
        if (name !== undefined && name !== current.name) changes.name = name;
        if (filter !== undefined && !jsonEquals(filter, current.filter)) changes.filter = filter;
        if (sort !== undefined && !jsonEquals(sort, current.sort)) changes.sort = sort;
        return Object.keys(changes).length > 1 ? [{ type: 'FilterUpdated', data: changes }] : [];
      }
      case 'ShareFilter': {
        const groups = distinct(command.data.groups);
        if (jsonEquals(groups, current.sharedWithGroups)) return [];
        return [{ type: 'FilterShared', data: { id, groups } }];
      }
      case 'DeleteFilter':
        return [{ type: 'FilterDeleted', data: { id } }];
      default: {
        const unknown: never = command;
        throw new Error(`unexpected saved filter command: ${JSON.stringify(unknown)}`);
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'FilterSaved': {
        const { owner, name, filter, sort } = event.data;
        return { status: 'saved', filter: { owner, name, filter, sort, sharedWithGroups: [] } };
      }
      case 'FilterUpdated': {
        if (state.status !== 'saved') return state;
        const { id: _id, ...changes } = event.data;
        return { status: 'saved', filter: { ...state.filter, ...changes } };
      }
      case 'FilterShared':
        if (state.status !== 'saved') return state;
        return { status: 'saved', filter: { ...state.filter, sharedWithGroups: event.data.groups } };
      case 'FilterDeleted':
        return { status: 'deleted' };
      default: {
        const unknown: never = event;
        throw new Error(`unexpected saved filter event: ${JSON.stringify(unknown)}`);
      }
    }
  },

  initialState: () => ({ status: 'none' }),
};
