export * from './domain/data-entry.decider';
export * from './application';
