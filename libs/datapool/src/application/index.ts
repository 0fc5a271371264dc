export * from './data-entry-command.handler';
