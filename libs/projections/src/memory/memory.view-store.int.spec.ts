import { historyViewStoreContract, viewStoreContract } from '@eddy/testing';
import { MemoryViewStore } from './memory.view-store';

// In memory, but named int so it runs with the other adapters' contract suites.
viewStoreContract('memory', { create: async (options) => new MemoryViewStore(options) });
historyViewStoreContract('memory', async () => new MemoryViewStore());
