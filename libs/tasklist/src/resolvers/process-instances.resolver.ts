import {
  ProjectionRunner,
  VIEW_STORE,
  type ProcessInstanceState,
  type ProcessInstanceView,
  type TaskView,
  type ViewQueries,
} from '@eddy/projections';
import { Inject, Optional, UseFilters } from '@nestjs/common';
import { Args, Context, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { TaskInteractionsService } from '../task-interactions.service';
import type { TasklistContext } from '../tasklist.context';
import { badInput, ClientErrorsFilter, mapQueryError } from '../tasklist.errors';
import { TASKLIST_OPTIONS, type TasklistOptions } from '../tasklist.options';
import { assertViewComplete } from './view-availability';

/** `myProcessInstances` and `cancelProcessInstance` (schema/process-instances.graphql). */
@UseFilters(new ClientErrorsFilter())
@Resolver('ProcessInstance')
export class ProcessInstancesResolver {
  constructor(
    @Inject(VIEW_STORE) private readonly views: ViewQueries,
    @Inject(TaskInteractionsService) private readonly interactions: TaskInteractionsService,
    @Inject(TASKLIST_OPTIONS) private readonly options: TasklistOptions,
    @Optional() @Inject(ProjectionRunner) private readonly runner: ProjectionRunner | null = null,
  ) {}

  @Query('myProcessInstances')
  async myProcessInstances(
    @Args('state') state: ProcessInstanceState | null,
    @Args('first') first: number | null,
    @Args('after') after: string | null,
    @Context() context: TasklistContext,
  ) {
    assertViewComplete(this.runner, 'process-instances');
    const size = first ?? 50;
    if (size < 0) throw badInput('first', 'must not be negative');
    if (size > this.options.maxPageSize)
      throw badInput('first', `must be at most ${this.options.maxPageSize}`);
    const page = await this.views
      .findProcessInstances({ startedBy: context.viewer.userId, state, first: size, after })
      .catch(mapQueryError);
    return { nodes: page.nodes, totalCount: page.totalCount, pageInfo: page.pageInfo };
  }

  /** Only the tasks the user may see: starting an instance shows none of its tasks to others' eyes. */
  @ResolveField('openTasks')
  async openTasks(
    @Parent() instance: ProcessInstanceView,
    @Context() context: TasklistContext,
  ): Promise<TaskView[]> {
    const page = await this.views.findTasks({
      viewer: context.viewer,
      filter: {
        applicationName: instance.applicationName,
        processInstanceId: instance.processInstanceId,
        includeDeferred: true,
      },
      first: this.options.maxPageSize,
    });
    return page.nodes;
  }

  @Mutation('cancelProcessInstance')
  cancelProcessInstance(
    @Args('id') id: string,
    @Context() context: TasklistContext,
  ): Promise<ProcessInstanceView> {
    return this.interactions.cancelProcessInstance(context, id);
  }
}
