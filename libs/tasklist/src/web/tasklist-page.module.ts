import { type DynamicModule, Module } from '@nestjs/common';
import {
  TASKLIST_PAGE_OPTIONS,
  TasklistPageController,
  type TasklistPageOptions,
} from './tasklist-page.controller';

/** The web tasklist page, served by the `api` role beside the GraphQL API it talks to. */
@Module({})
export class TasklistPageModule {
  static forRoot(options: TasklistPageOptions): DynamicModule {
    return {
      module: TasklistPageModule,
      controllers: [TasklistPageController],
      providers: [{ provide: TASKLIST_PAGE_OPTIONS, useValue: options }],
    };
  }
}
