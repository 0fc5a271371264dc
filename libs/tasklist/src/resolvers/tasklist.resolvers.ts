import { dataEntryId, type DataEntryRef } from '@eddy/contracts';
import {
  isTaskDeferred,
  ProjectionRunner,
  VIEW_STORE,
  type DataEntryFilter,
  type DataEntrySort,
  type DataEntryView,
  type Page,
  type ProcessDefinitionView,
  type TaskFilter,
  type TaskSort,
  type TaskView,
  type ViewQueries,
} from '@eddy/projections';
import { Inject, Optional, UseFilters } from '@nestjs/common';
import { Args, Context, Mutation, Query, ResolveField, Resolver, Subscription } from '@nestjs/graphql';
import type { LiveList, LiveListMessage } from '../live/live-list';
import { LiveListsService } from '../live/live-lists.service';
import { TaskInteractionsService, type StartedProcess } from '../task-interactions.service';
import type { TasklistContext } from '../tasklist.context';
import { badInput, ClientErrorsFilter, mapQueryError } from '../tasklist.errors';
import { TASKLIST_OPTIONS, type TasklistOptions } from '../tasklist.options';
import { assertViewComplete } from './view-availability';

export interface Connection<T> {
  nodes: T[];
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export const connection = <T>(page: Page<T>): Connection<T> => ({
  nodes: page.nodes,
  totalCount: page.totalCount,
  pageInfo: page.pageInfo,
});

/** The `first` of a connection: 50 when not given, refused naming the field beyond 0..`maxPageSize`. */
export function checkedPageSize(first: number | null | undefined, maxPageSize: number): number {
  const size = first ?? 50;
  if (size < 0) throw badInput('first', 'must not be negative');
  if (size > maxPageSize) throw badInput('first', `must be at most ${maxPageSize}`);
  return size;
}

@UseFilters(new ClientErrorsFilter())
@Resolver()
export class TasklistQueryResolver {
  constructor(
    @Inject(VIEW_STORE) private readonly views: ViewQueries,
    @Inject(TASKLIST_OPTIONS) private readonly options: TasklistOptions,
    @Optional() @Inject(ProjectionRunner) private readonly runner: ProjectionRunner | null = null,
  ) {}

  private pageSize(first: number | null | undefined): number {
    return checkedPageSize(first, this.options.maxPageSize);
  }

  @Query('me')
  me(@Context() context: TasklistContext): { id: string; groups: readonly string[]; permissions: string[] } {
    return {
      id: context.identity.userId,
      groups: context.identity.groups,
      permissions: [...context.identity.permissions].sort(),
    };
  }

  @Query('tasks')
  async tasks(
    @Args('filter') filter: TaskFilter | null,
    @Args('sort') sort: TaskSort[] | null,
    @Args('first') first: number | null,
    @Args('after') after: string | null,
    @Context() context: TasklistContext,
  ): Promise<Connection<TaskView>> {
    assertViewComplete(this.runner, 'tasks');
    const page = await this.views
      .findTasks({ viewer: context.viewer, filter, sort, first: this.pageSize(first), after })
      .catch(mapQueryError);
    return connection(page);
  }

  @Query('task')
  task(@Args('id') id: string, @Context() context: TasklistContext): Promise<TaskView | null> {
    assertViewComplete(this.runner, 'tasks');
    return this.views.getTask(id, context.viewer);
  }

  @Query('taskCountByApplication')
  taskCountByApplication(@Context() context: TasklistContext) {
    assertViewComplete(this.runner, 'tasks');
    return this.views.taskCountByApplication(context.viewer);
  }

  @Query('dataEntries')
  async dataEntries(
    @Args('filter') filter: DataEntryFilter | null,
    @Args('sort') sort: DataEntrySort[] | null,
    @Args('first') first: number | null,
    @Args('after') after: string | null,
    @Context() context: TasklistContext,
  ): Promise<Connection<DataEntryView>> {
    assertViewComplete(this.runner, 'data-entries');
    const page = await this.views
      .findDataEntries({ viewer: context.viewer, filter, sort, first: this.pageSize(first), after })
      .catch(mapQueryError);
    return connection(page);
  }

  @Query('dataEntry')
  dataEntry(
    @Args('entryType') entryType: string,
    @Args('entryId') entryId: string,
    @Context() context: TasklistContext,
  ): Promise<DataEntryView | null> {
    assertViewComplete(this.runner, 'data-entries');
    return context.loaders.dataEntryById.load(dataEntryId(entryType, entryId));
  }

  @Query('startableProcesses')
  startableProcesses(@Context() context: TasklistContext): Promise<ProcessDefinitionView[]> {
    assertViewComplete(this.runner, 'process-definitions');
    return this.views.startableProcesses(context.viewer);
  }
}

/** The data entries of these correlations that the viewer may see, in their order. */
async function visibleEntries(
  correlations: DataEntryRef[],
  context: TasklistContext,
): Promise<DataEntryView[]> {
  if (correlations.length === 0) return [];
  const entries = await context.loaders.dataEntryById.loadMany(
    correlations.map((c) => dataEntryId(c.entryType, c.entryId)),
  );
  return entries.filter((e): e is DataEntryView => e !== null && !(e instanceof Error));
}

/**
 * Only the correlations to data entries the viewer may see: the ids of the others are not shown
 * (nor are those of entries not reported yet, whose visibility is not known). Over HTTP and in
 * every pushed change alike, since both resolve these fields.
 */
async function visibleCorrelations(
  correlations: DataEntryRef[],
  context: TasklistContext,
): Promise<DataEntryRef[]> {
  const visible = new Set((await visibleEntries(correlations, context)).map((e) => e.id));
  return correlations.filter((c) => visible.has(dataEntryId(c.entryType, c.entryId)));
}

/**
 * The computed fields of `Task`, resolved for every row of every list and snapshot. Their methods
 * take graphql-js's own arguments (parent, args, context) and carry no parameter decorators, so
 * that Nest binds them as plain field resolvers: with `@Parent()` or `@Context()` each call would
 * go through Nest's parameter pipeline and answer a promise, which for a snapshot of 10,000 tasks
 * cost about as much as the rest of its fields together.
 */
@Resolver('Task')
export class TaskFieldsResolver {
  @ResolveField('deferred')
  deferred(task: TaskView): boolean {
    return isTaskDeferred(task);
  }

  @ResolveField('correlations')
  correlations(task: TaskView, _args: unknown, context: TasklistContext): Promise<DataEntryRef[]> {
    return visibleCorrelations(task.correlations, context);
  }

  @ResolveField('dataEntries')
  dataEntries(task: TaskView, _args: unknown, context: TasklistContext): Promise<DataEntryView[]> {
    return visibleEntries(task.correlations, context);
  }
}

/** The computed fields of `DataEntry`, plain field resolvers as those of `Task` are. */
@Resolver('DataEntry')
export class DataEntryFieldsResolver {
  @ResolveField('correlations')
  correlations(entry: DataEntryView, _args: unknown, context: TasklistContext): Promise<DataEntryRef[]> {
    return visibleCorrelations(entry.correlations, context);
  }

  @ResolveField('tasks')
  tasks(entry: DataEntryView, _args: unknown, context: TasklistContext): Promise<TaskView[]> {
    return context.loaders.tasksByDataEntry.load(entry.id);
  }
}

@UseFilters(new ClientErrorsFilter())
@Resolver()
export class TasklistMutationResolver {
  constructor(@Inject(TaskInteractionsService) private readonly interactions: TaskInteractionsService) {}

  @Mutation('claimTask')
  claimTask(@Args('id') id: string, @Context() context: TasklistContext): Promise<TaskView> {
    return this.interactions.claim(context, id);
  }

  @Mutation('unclaimTask')
  unclaimTask(@Args('id') id: string, @Context() context: TasklistContext): Promise<TaskView> {
    return this.interactions.unclaim(context, id);
  }

  @Mutation('completeTask')
  completeTask(
    @Args('id') id: string,
    @Args('variables') variables: unknown,
    @Context() context: TasklistContext,
  ): Promise<TaskView> {
    return this.interactions.complete(context, id, variables);
  }

  @Mutation('deferTask')
  deferTask(
    @Args('id') id: string,
    @Args('followUpDate') followUpDate: string,
    @Context() context: TasklistContext,
  ): Promise<TaskView> {
    return this.interactions.defer(context, id, followUpDate);
  }

  @Mutation('undeferTask')
  undeferTask(@Args('id') id: string, @Context() context: TasklistContext): Promise<TaskView> {
    return this.interactions.undefer(context, id);
  }

  @Mutation('startProcess')
  startProcess(
    @Args('processDefinitionKey') key: string,
    @Args('variables') variables: unknown,
    @Context() context: TasklistContext,
  ): Promise<StartedProcess> {
    return this.interactions.startProcess(context, key, variables);
  }
}

/** Turns a live list message into the GraphQL change; an error message fails that event. */
function change(itemsField: 'tasks' | 'dataEntries') {
  return (message: LiveListMessage<unknown> | Error) => {
    if (message instanceof Error) throw message;
    return {
      kind: message.kind,
      [itemsField]: message.items,
      removedIds: message.removedIds,
      position: String(message.position),
    };
  };
}

@UseFilters(new ClientErrorsFilter())
@Resolver()
export class TasklistSubscriptionResolver {
  constructor(@Inject(LiveListsService) private readonly live: LiveListsService) {}

  @Subscription('taskChanges', { resolve: change('tasks') })
  taskChanges(
    @Args('filter') filter: TaskFilter | null,
    @Args('first') first: number | null,
    @Context() context: TasklistContext,
  ): Promise<LiveList<TaskView>> {
    if (first !== null && first !== undefined && first < 0) throw badInput('first', 'must not be negative');
    return this.live.tasks(context.viewer, filter, { snapshotItems: first ?? undefined });
  }

  @Subscription('dataEntryChanges', { resolve: change('dataEntries') })
  dataEntryChanges(
    @Args('filter') filter: DataEntryFilter | null,
    @Context() context: TasklistContext,
  ): Promise<LiveList<DataEntryView>> {
    return this.live.dataEntries(context.viewer, filter);
  }
}
