import {
  historyViewStoreContract,
  savedFiltersViewStoreContract,
  searchViewStoreContract,
  viewStoreContract,
} from '@eddy/testing';
import { MemoryViewStore } from './memory.view-store';

// The view store contract suite against the memory store (no I/O: the unit tier).
viewStoreContract('memory', { create: async (options) => new MemoryViewStore(options) });
historyViewStoreContract('memory', async () => new MemoryViewStore());
savedFiltersViewStoreContract('memory', async () => new MemoryViewStore());
searchViewStoreContract('memory', async (search) => new MemoryViewStore({ search }));
