export * from './engine.port';
export * from './engine.errors';
export {
  EmbeddedProcessEngine,
  type EmbeddedProcessEngineOptions,
  type ServiceTaskHandler,
  type ServiceTaskJob,
} from './embedded/embedded.engine';
