/**
 * Test helpers of Eddy, imported by package name (`@eddy/testing`): given/when/then for deciders and
 * projections, the contract suites every adapter of a port runs, test events, and the settings of
 * the real servers. For specs only: the contract suites register jest tests when called.
 */
export * from './command.fixtures';
export * from './decider-specification';
export * from './projection-specification';
export * from './event-store.contract';
export * from './event-store.test-events';
export * from './view-store.contract';
export * from './history-view-store.contract';
export * from './saved-filters-view-store.contract';
export * from './search-view-store.contract';
export * from './servers';
export * from './kafka-topic-reader';
export * from './seeded-random';
export * from './script-process';
