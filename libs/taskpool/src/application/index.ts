export * from './core.options';
export * from './core.module';
export * from './core-command.dispatcher';
export * from './task-command.handler';
export * from './process-command.handlers';
export * from './task-state.reader';
export * from './saved-filter-command.handler';
