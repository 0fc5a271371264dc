import { eventStoreContract } from '@eddy/testing';
import { MemoryEventStore } from './memory.event-store';

eventStoreContract('memory', { create: async () => new MemoryEventStore() });
