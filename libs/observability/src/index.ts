export * from './metrics';
export * from './retry';
export * from './correlation';
export * from './tracing';
export * from './traced-fetch';
export * from './traced-http-requests';
