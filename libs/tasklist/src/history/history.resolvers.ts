import {
  historyId,
  ProjectionRunner,
  VIEW_STORE,
  WaitForPositionTimeoutError,
  type ClosedTaskFilter,
  type ClosedTaskSort,
  type ClosedTaskView,
  type DataEntryView,
  type HistoryEntry,
  type HistoryView,
  type TaskView,
  type ViewStore,
} from '@eddy/projections';
import type { ProtocolEntry } from '@eddy/contracts';
import { Inject, Injectable, Optional, UseFilters } from '@nestjs/common';
import { Args, Context, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { checkedPageSize, connection, type Connection } from '../resolvers/tasklist.resolvers';
import { assertViewComplete } from '../resolvers/view-availability';
import { TaskInteractionsService } from '../task-interactions.service';
import type { TasklistContext } from '../tasklist.context';
import { badInput, ClientErrorsFilter, mapQueryError, tasklistError } from '../tasklist.errors';
import { TASKLIST_OPTIONS, type TasklistOptions } from '../tasklist.options';

interface TaskComment {
  id: string;
  author: string;
  time: string;
  text: string;
}

/** Where a protocol line of a data entry sits, for its `historyEntry`. */
const PROTOCOL_LINE = Symbol('protocol line');
type ProtocolLine = ProtocolEntry & { [PROTOCOL_LINE]?: { entry: DataEntryView; index: number } };

const encodeRevision = (revision: number) => Buffer.from(`r:${revision}`, 'utf8').toString('base64url');

function decodeRevision(after: string): number {
  const match = /^r:(\d{1,15})$/.exec(Buffer.from(after, 'base64url').toString('utf8'));
  if (!match) throw badInput('after', 'is not a cursor of this history (use the endCursor of a page of it)');
  return Number(match[1]);
}

/** One page of a history's entries, oldest first, with cursors on the revision. */
function entriesPage(
  entries: readonly HistoryEntry[],
  first: number,
  after: string | null | undefined,
): Connection<HistoryEntry> {
  const from = after ? decodeRevision(after) : -1;
  const rest = entries.filter((e) => e.revision > from);
  const nodes = rest.slice(0, first);
  const last = nodes.at(-1);
  return {
    nodes,
    totalCount: entries.length,
    pageInfo: {
      hasNextPage: rest.length > first,
      endCursor: last ? encodeRevision(last.revision) : (after ?? null),
    },
  };
}

/**
 * Reads histories as of a subject's position: the history view is projected on its own, so a task
 * pushed to a subscriber (or answered by a mutation) may be ahead of it for a moment. Waits for the
 * history view to reach the subject's position, within the read-your-writes timeout.
 */
@Injectable()
export class HistoryReader {
  constructor(
    @Inject(VIEW_STORE) private readonly views: ViewStore,
    @Inject(TASKLIST_OPTIONS) private readonly options: TasklistOptions,
    @Optional() @Inject(ProjectionRunner) private readonly runner: ProjectionRunner | null = null,
  ) {}

  /** The history of a subject whose view document is at `position`; null when the viewer may not read it. */
  async at(id: string, position: number, context: TasklistContext): Promise<HistoryView | null> {
    assertViewComplete(this.runner, 'history');
    const found = await context.loaders.historyById.load(id);
    if (found && found.position >= position) return found;
    const timeoutMs = this.options.readYourWritesTimeoutMs;
    try {
      await this.views.waitForPosition(position, timeoutMs, ['history']);
    } catch (error) {
      if (error instanceof WaitForPositionTimeoutError) {
        throw tasklistError(
          'TIMEOUT',
          `the history view did not reach position ${position} within ${timeoutMs} ms`,
        );
      }
      throw error;
    }
    return (await this.views.getHistories([id], context.viewer))[0];
  }

  /** One page of the history of a subject, as `Task.history` and `DataEntry.history` answer it. */
  async page(
    id: string,
    position: number,
    first: number | null,
    after: string | null,
    context: TasklistContext,
  ): Promise<Connection<HistoryEntry>> {
    const size = checkedPageSize(first, this.options.maxPageSize);
    const history = await this.at(id, position, context);
    return entriesPage(history?.entries ?? [], size, after);
  }
}

/** `closedTasks`: completed and deleted tasks, authorised like open tasks. */
@UseFilters(new ClientErrorsFilter())
@Resolver()
export class ClosedTasksQueryResolver {
  constructor(
    @Inject(VIEW_STORE) private readonly views: ViewStore,
    @Inject(TASKLIST_OPTIONS) private readonly options: TasklistOptions,
    @Optional() @Inject(ProjectionRunner) private readonly runner: ProjectionRunner | null = null,
  ) {}

  @Query('closedTasks')
  async closedTasks(
    @Args('filter') filter: ClosedTaskFilter | null,
    @Args('sort') sort: ClosedTaskSort[] | null,
    @Args('first') first: number | null,
    @Args('after') after: string | null,
    @Context() context: TasklistContext,
  ): Promise<Connection<ClosedTaskView>> {
    assertViewComplete(this.runner, 'closed-tasks');
    const page = await this.views
      .findClosedTasks({
        viewer: context.viewer,
        filter,
        sort,
        first: checkedPageSize(first, this.options.maxPageSize),
        after,
      })
      .catch(mapQueryError);
    return connection(page);
  }
}

/** The comment size limit, so that a client can show it before the user types past it. */
@Resolver()
export class CommentLimitResolver {
  constructor(@Inject(TASKLIST_OPTIONS) private readonly options: TasklistOptions) {}

  @Query('commentMaxLength')
  commentMaxLength(): number {
    return this.options.maxCommentLength;
  }
}

@UseFilters(new ClientErrorsFilter())
@Resolver('ClosedTask')
export class ClosedTaskFieldsResolver {
  /**
   * The closed task is a task as it closed: the `Task` fields resolve on it. A plain field resolver
   * (no parameter decorators), as `Task`'s computed fields are: it runs for every row of a list.
   */
  @ResolveField('task')
  task(closed: ClosedTaskView): TaskView {
    return closed;
  }
}

/** A task's history and comments, and the mutation that comments. */
@UseFilters(new ClientErrorsFilter())
@Resolver('Task')
export class TaskHistoryResolver {
  constructor(
    @Inject(HistoryReader) private readonly histories: HistoryReader,
    @Inject(TaskInteractionsService) private readonly interactions: TaskInteractionsService,
  ) {}

  @ResolveField('history')
  history(
    @Parent() task: TaskView,
    @Args('first') first: number | null,
    @Args('after') after: string | null,
    @Context() context: TasklistContext,
  ): Promise<Connection<HistoryEntry>> {
    return this.histories.page(historyId('TASK', task.id), task.position, first, after, context);
  }

  @ResolveField('comments')
  async comments(@Parent() task: TaskView, @Context() context: TasklistContext): Promise<TaskComment[]> {
    const history = await this.histories.at(historyId('TASK', task.id), task.position, context);
    return (history?.entries ?? []).flatMap((e) => commentOf(e) ?? []);
  }

  @Mutation('addTaskComment')
  addTaskComment(
    @Args('id') id: string,
    @Args('text') text: string,
    @Context() context: TasklistContext,
  ): Promise<TaskView> {
    return this.interactions.comment(context, id, text);
  }
}

function commentOf(entry: HistoryEntry): TaskComment | null {
  return entry.comment && { id: entry.commandId, time: entry.time, ...entry.comment };
}

@UseFilters(new ClientErrorsFilter())
@Resolver('HistoryEntry')
export class HistoryEntryFieldsResolver {
  @ResolveField('comment')
  comment(@Parent() entry: HistoryEntry): TaskComment | null {
    return commentOf(entry);
  }
}

/** A data entry's history, and the link from each protocol line to the change that wrote it. */
@UseFilters(new ClientErrorsFilter())
@Resolver('DataEntry')
export class DataEntryHistoryResolver {
  constructor(@Inject(HistoryReader) private readonly histories: HistoryReader) {}

  @ResolveField('history')
  history(
    @Parent() entry: DataEntryView,
    @Args('first') first: number | null,
    @Args('after') after: string | null,
    @Context() context: TasklistContext,
  ): Promise<Connection<HistoryEntry>> {
    return this.histories.page(historyId('DATA_ENTRY', entry.id), entry.position, first, after, context);
  }

  @ResolveField('protocol')
  protocol(@Parent() entry: DataEntryView): ProtocolLine[] {
    return entry.protocol.map((line, index) => ({ ...line, [PROTOCOL_LINE]: { entry, index } }));
  }
}

@UseFilters(new ClientErrorsFilter())
@Resolver('ProtocolEntry')
export class ProtocolEntryHistoryResolver {
  constructor(@Inject(HistoryReader) private readonly histories: HistoryReader) {}

  /** The n-th protocol line of an entry was written by the n-th of its changes that wrote one. */
  @ResolveField('historyEntry')
  async historyEntry(
    @Parent() line: ProtocolLine,
    @Context() context: TasklistContext,
  ): Promise<HistoryEntry | null> {
    const where = line[PROTOCOL_LINE];
    if (!where) return null;
    const history = await this.histories.at(
      historyId('DATA_ENTRY', where.entry.id),
      where.entry.position,
      context,
    );
    const writers = (history?.entries ?? []).filter((e) => e.protocolEntry !== null);
    return writers[where.index] ?? null;
  }
}

/** The resolvers of the closed tasks, histories and comments (and their reader), for the tasklist module. */
export const HISTORY_RESOLVERS = [
  HistoryReader,
  ClosedTasksQueryResolver,
  ClosedTaskFieldsResolver,
  TaskHistoryResolver,
  CommentLimitResolver,
  HistoryEntryFieldsResolver,
  DataEntryHistoryResolver,
  ProtocolEntryHistoryResolver,
];
