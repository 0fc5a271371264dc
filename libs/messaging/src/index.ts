export * from './command-api/commands.controller';
export * from './command-api.module';
export * from './command-results';
export * from './command-topic/command-topic.module';
export * from './messages-api/messages.controller';
export * from './messages-api.module';
