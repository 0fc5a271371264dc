import {
  type AppendOptions,
  type AppendResult,
  type EventStore,
  type EventStoreStatistics,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type StoredEvent,
  type SubscribeOptions,
} from './event-store.port';

/**
 * Wraps a store so that every event read or delivered by a subscription passes through `upcast`
 * (e.g. the upcaster chain of `@eddy/contracts`, which lifts old schema versions to the current
 * one). Appends are passed through unchanged: the store keeps events as they were written.
 */
export function withUpcasting(store: EventStore, upcast: (event: StoredEvent) => StoredEvent): EventStore {
  return {
    appendToStream: (
      streamId: string,
      events: readonly NewEvent[],
      options?: AppendOptions,
    ): Promise<AppendResult> => store.appendToStream(streamId, events, options),
    readStream: async (streamId: string, options?: ReadStreamOptions) =>
      (await store.readStream(streamId, options)).map(upcast),
    readAll: async (options?: ReadAllOptions) => (await store.readAll(options)).map(upcast),
    subscribeToAll: (options?: SubscribeOptions) => upcastBatches(store.subscribeToAll(options), upcast),
    headPosition: () => store.headPosition(),
    findCommand: (commandId: string) => store.findCommand(commandId),
    statistics: (): Promise<EventStoreStatistics> => store.statistics(),
    identity: () => store.identity(),
    close: () => store.close(),
  };
}

async function* upcastBatches(
  batches: AsyncIterable<readonly StoredEvent[]>,
  upcast: (event: StoredEvent) => StoredEvent,
): AsyncGenerator<readonly StoredEvent[], void, undefined> {
  for await (const batch of batches) yield batch.map(upcast);
}
