import type { TaskFilter } from '@eddy/projections';
import { Inject, Optional, UseFilters } from '@nestjs/common';
import { Args, Context, Query, Resolver, Subscription } from '@nestjs/graphql';
import { ProjectionRunner } from '@eddy/projections';
import type { LiveTaskCounts, TaskCountsMessage } from '../counts/live-task-counts';
import { TaskCountsService } from '../counts/task-counts.service';
import type { TasklistContext } from '../tasklist.context';
import { ClientErrorsFilter } from '../tasklist.errors';
import { assertViewComplete } from './view-availability';

/** `taskCount` and `taskCountChanges` (schema/task-counts.graphql). */
@UseFilters(new ClientErrorsFilter())
@Resolver()
export class TaskCountsResolver {
  constructor(
    @Inject(TaskCountsService) private readonly counts: TaskCountsService,
    @Optional() @Inject(ProjectionRunner) private readonly runner: ProjectionRunner | null = null,
  ) {}

  @Query('taskCount')
  taskCount(@Args('filter') filter: TaskFilter | null, @Context() context: TasklistContext): Promise<number> {
    assertViewComplete(this.runner, 'tasks');
    return this.counts.count(context.viewer, filter);
  }

  @Subscription('taskCountChanges', {
    resolve: (message: TaskCountsMessage | Error) => {
      if (message instanceof Error) throw message;
      return { counts: message.counts, position: String(message.position) };
    },
  })
  taskCountChanges(
    @Args('filters') filters: TaskFilter[],
    @Context() context: TasklistContext,
  ): Promise<LiveTaskCounts> {
    assertViewComplete(this.runner, 'tasks');
    return this.counts.open(context.viewer, filters);
  }
}
