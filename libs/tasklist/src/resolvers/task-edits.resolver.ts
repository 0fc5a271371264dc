import type { EditTaskData } from '@eddy/contracts';
import type { TaskView } from '@eddy/projections';
import { Inject, UseFilters } from '@nestjs/common';
import { Args, Context, Mutation, Resolver } from '@nestjs/graphql';
import { TaskInteractionsService } from '../task-interactions.service';
import type { TasklistContext } from '../tasklist.context';
import { ClientErrorsFilter } from '../tasklist.errors';

/** `assignTask` and `updateTask` (schema/task-edits.graphql). */
@UseFilters(new ClientErrorsFilter())
@Resolver()
export class TaskEditsResolver {
  constructor(@Inject(TaskInteractionsService) private readonly interactions: TaskInteractionsService) {}

  @Mutation('assignTask')
  assignTask(
    @Args('id') id: string,
    @Args('assignee') assignee: string,
    @Context() context: TasklistContext,
  ): Promise<TaskView> {
    return this.interactions.delegate(context, id, assignee);
  }

  @Mutation('updateTask')
  updateTask(
    @Args('id') id: string,
    @Args('changes') changes: Omit<EditTaskData, 'id'>,
    @Context() context: TasklistContext,
  ): Promise<TaskView> {
    return this.interactions.edit(context, id, changes);
  }
}
