export * from './domain/task.decider';
export * from './domain/process-definition.decider';
export * from './domain/process-instance.decider';
export * from './domain/saved-filter.decider';
export * from './application';
