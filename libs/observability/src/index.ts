export * from './metrics';
export * from './retry';
