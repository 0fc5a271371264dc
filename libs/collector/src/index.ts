export * from './engine/engine.port';
export * from './engine/engine.errors';
export * from './engine/job-worker.port';
export {
  EmbeddedProcessEngine,
  type EmbeddedProcessEngineOptions,
  type ServiceTaskHandler,
  type ServiceTaskJob,
} from './engine/embedded/embedded.engine';
export { Camunda8ProcessEngine, type Camunda8ProcessEngineOptions } from './engine/camunda8/camunda8.engine';
export {
  EmbeddedEngineThread,
  SharedClockOffset,
  type EmbeddedEngineThreadOptions,
} from './engine/embedded-thread/embedded-thread.engine';
export * from './collector/collector.options';
export {
  collectTransaction,
  transactionToCommands,
  engineCommandId,
} from './collector/transaction-to-commands';
export type { CollectedTransaction, CollectionProblem } from './collector/transaction-to-commands';
export { taskPayload, taskCorrelations } from './collector/variable-enrichment';
export { TransactionCollector } from './collector/transaction.collector';
export * from './deployment/bpmn.deployer';
export * from './engine-client/checkpoint.store';
export * from './engine-client/engine.client';
export * from './collector.module';
