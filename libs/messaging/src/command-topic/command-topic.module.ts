import { type DynamicModule, Module } from '@nestjs/common';
import { CommandTopicConsumer } from './command-topic.consumer';
import { COMMAND_TOPIC_OPTIONS, type CommandTopicOptions } from './command-topic.options';

/**
 * Commands from a Kafka topic: process applications produce the JSON of one command of
 * `POST /api/commands` per message; results and dead letters go to their own topics. Needs the
 * `COMMAND_DISPATCHER` of the core.
 */
@Module({})
export class CommandTopicModule {
  static forRoot(options: CommandTopicOptions): DynamicModule {
    return {
      module: CommandTopicModule,
      providers: [{ provide: COMMAND_TOPIC_OPTIONS, useValue: options }, CommandTopicConsumer],
      exports: [CommandTopicConsumer],
    };
  }
}

export { CommandTopicConsumer } from './command-topic.consumer';
export type { CommandTopicOptions } from './command-topic.options';
export { DEAD_LETTER_HEADERS } from './command-topic.handler';
