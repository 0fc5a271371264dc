export * from './metrics';
export * from './retry';
export * from './tracing';
