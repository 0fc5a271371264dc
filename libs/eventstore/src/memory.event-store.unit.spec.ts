import { eventStoreContract } from '@eddy/testing/event-store.contract';
import { MemoryEventStore } from './memory.event-store';

eventStoreContract('memory', { create: async () => new MemoryEventStore() });
