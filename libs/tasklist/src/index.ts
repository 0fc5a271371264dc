export * from './tasklist.module';
export * from './tasklist.options';
export * from './tasklist.errors';
export * from './tasklist.context';
export { CLOSE_TOO_MANY_CONNECTIONS, CLOSE_UNAUTHORIZED } from './transport/graphql-ws.server';
export { LiveList, type LiveListMessage, type LiveListSource } from './live/live-list';
export { TasklistPageModule } from './web/tasklist-page.module';
export type { TasklistPageOptions, TasklistPageSettings } from './web/tasklist-page.controller';
