export * from './command-api/commands.controller';
export * from './command-api.module';
export * from './messages-api/messages.controller';
export * from './messages-api.module';
export * from './jobs-api/jobs.controller';
export * from './jobs-api.module';
