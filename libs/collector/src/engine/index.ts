export * from './engine.port';
export * from './engine.errors';
export * from './job-worker.port';
export {
  EmbeddedProcessEngine,
  type EmbeddedProcessEngineOptions,
  type ServiceTaskHandler,
  type ServiceTaskJob,
} from './embedded/embedded.engine';
export { Camunda8ProcessEngine, type Camunda8ProcessEngineOptions } from './camunda8/camunda8.engine';
export {
  EmbeddedEngineThread,
  SharedClockOffset,
  type EmbeddedEngineThreadOptions,
} from './embedded-thread/embedded-thread.engine';
