import { AuthenticationError, Authenticator, type Identity } from '@eddy/auth';
import {
  VIEW_STORE,
  type DataEntryView,
  type HistoryQueries,
  type HistoryView,
  type TaskView,
  type ViewQueries,
  type Viewer,
} from '@eddy/projections';
import { Inject, Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import { randomUUID } from 'node:crypto';
import { tasklistError } from './tasklist.errors';
import { TASKLIST_OPTIONS, type TasklistOptions } from './tasklist.options';

/** The batched joins of one operation, each authorised for the viewer. */
export interface TasklistLoaders {
  /** `entryType#entryId` -> the data entry, or null when it does not exist or is not visible. */
  dataEntryById: DataLoader<string, DataEntryView | null>;
  /** `entryType#entryId` -> the visible open tasks correlated to it. */
  tasksByDataEntry: DataLoader<string, TaskView[]>;
  /** History id (`task:<id>`, `data-entry:<entryType#entryId>`) -> the history, or null when not readable. */
  historyById: DataLoader<string, HistoryView | null>;
}

/** What every resolver of the tasklist receives as its GraphQL context. */
export interface TasklistContext {
  identity: Identity;
  viewer: Viewer;
  loaders: TasklistLoaders;
  /** Shared by every command that this request sends. */
  correlationId: string;
  transport: 'http' | 'ws';
}

interface HttpRequest {
  headers: Record<string, string | string[] | undefined>;
}

const correlationPattern = /^[\x21-\x7e]{1,128}$/;

/** Builds the GraphQL context of an HTTP request or of one graphql-ws operation. */
@Injectable()
export class TasklistContextFactory {
  constructor(
    @Inject(Authenticator) private readonly authenticator: Authenticator,
    @Inject(VIEW_STORE) private readonly views: ViewQueries & HistoryQueries,
    @Inject(TASKLIST_OPTIONS) private readonly options: TasklistOptions,
  ) {}

  /** Authenticates the request; without valid credentials the whole request fails with `UNAUTHENTICATED`. */
  async forHttp(request: HttpRequest): Promise<TasklistContext> {
    let identity: Identity;
    try {
      identity = (await this.authenticator.authenticate(request.headers)).identity;
    } catch (error) {
      if (error instanceof AuthenticationError) throw tasklistError('UNAUTHENTICATED', error.message);
      throw error;
    }
    const header = request.headers['x-correlation-id'];
    const correlationId =
      typeof header === 'string' && correlationPattern.test(header) ? header : randomUUID();
    // Cached per request: one HTTP request is one consistent read.
    return this.create(identity, correlationId, 'http', true);
  }

  /**
   * The context of one graphql-ws operation of an authenticated connection. A subscription lives
   * long, so its loaders batch but never cache: every pushed change reads the joins afresh.
   */
  forSocket(identity: Identity): Promise<TasklistContext> {
    return this.create(identity, randomUUID(), 'ws', false);
  }

  private async create(
    identity: Identity,
    correlationId: string,
    transport: 'http' | 'ws',
    cache: boolean,
  ): Promise<TasklistContext> {
    const viewer: Viewer = {
      userId: identity.userId,
      groups: identity.groups,
      startableProcesses: await this.startableProcesses(identity),
    };
    return {
      identity,
      viewer,
      correlationId,
      transport,
      loaders: {
        dataEntryById: new DataLoader((ids) => this.views.getDataEntries(ids, viewer), { cache }),
        tasksByDataEntry: new DataLoader((ids) => this.views.tasksCorrelatedTo(ids, viewer), { cache }),
        historyById: new DataLoader((ids) => this.views.getHistories(ids, viewer), { cache }),
      },
    };
  }

  /**
   * The processes whose tasks without assignee and candidates the user sees: those the user may start
   * (`EDDY_TASKS_WITHOUT_CANDIDATES=starters`, the default, as Camunda 8's Tasklist shows such tasks), or
   * none (`nobody`).
   */
  private async startableProcesses(identity: Identity): Promise<string[]> {
    if (this.options.tasksWithoutCandidates === 'nobody') return [];
    const startable = await this.views.startableProcesses({
      userId: identity.userId,
      groups: identity.groups,
    });
    return startable.map((definition) => definition.key);
  }
}
