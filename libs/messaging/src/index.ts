export * from './command-api/commands.controller';
export * from './command-api.module';
