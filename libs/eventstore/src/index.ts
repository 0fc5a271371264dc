export * from './event-store.port';
export * from './event-store.validation';
export { CommitNotifier } from './commit-notifier';
export { catchUpSubscription, type CatchUpSource } from './catch-up-subscription';
export { MemoryEventStore } from './memory.event-store';
export { SqliteEventStore, openSqliteEventStore, type SqliteEventStoreOptions } from './sqlite.event-store';
export { withUpcasting } from './upcasting.event-store';
export {
  PostgresEventStore,
  openPostgresEventStore,
  type PostgresEventStoreOptions,
} from './postgres.event-store';
export * from './checkpoint.guard';
