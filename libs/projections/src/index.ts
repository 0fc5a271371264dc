export * from './view.types';
export * from './view-store.port';
