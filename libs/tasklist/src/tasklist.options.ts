import { DEFAULT_MAX_COMMENT_LENGTH, DEFAULT_MAX_PAYLOAD_DEPTH } from '@eddy/contracts';

/** Settings of the tasklist API. The application's configuration maps environment variables onto it. */
export interface TasklistOptions {
  /** HTTP path of queries, mutations and (graphql-ws) subscriptions. Default `/graphql`. */
  path: string;
  /** How long a mutation waits for the views to reflect its command before it fails with `TIMEOUT`. */
  readYourWritesTimeoutMs: number;
  /** Deepest selection an operation may have (the operation's root fields are depth 1). */
  maxQueryDepth: number;
  /** Highest estimated cost of an operation (see `query-limits.ts` for the estimate). */
  maxQueryCost: number;
  /** Largest `first` of `tasks` and `dataEntries`; above it the query fails with `BAD_USER_INPUT`. */
  maxPageSize: number;
  /** Open subscriptions one graphql-ws connection may hold at once. */
  maxSubscriptionsPerConnection: number;
  /** Open graphql-ws connections one user may hold at once; more are closed with 4429. */
  maxConnectionsPerUser: number;
  /** Largest HTTP request body and largest graphql-ws message, in bytes. */
  maxPayloadBytes: number;
  /** Largest SNAPSHOT a subscription may start with; a broader filter fails with `BAD_USER_INPUT`. */
  maxSnapshotItems: number;
  /**
   * Changes a subscription may have queued for a client that reads too slowly; beyond it the
   * subscription ends with `SUBSCRIBER_TOO_SLOW` so one slow client cannot exhaust the server's memory.
   */
  maxQueuedChanges: number;
  /** Page size of the reads that build a subscription's SNAPSHOT (1..1000). */
  snapshotPageSize: number;
  /** How deep `completeTask` and `startProcess` variables may nest (`EDDY_MAX_PAYLOAD_DEPTH`). */
  maxPayloadDepth: number;
  /** The longest text of `addTaskComment` (`EDDY_COMMENT_MAX_LENGTH`). */
  maxCommentLength: number;
  /** Serve GraphQL introspection (the schema compare test and tools need it). Default true. */
  introspection: boolean;
  /** Folder whose `*.form` files (Camunda Forms) `form(key)` serves; none when null. */
  formsDir: string | null;
  /**
   * Who sees a task without assignee and candidates: `starters`, everyone who may start its process (its
   * candidate starters, or every authenticated user when it has none), or `nobody`.
   */
  tasksWithoutCandidates: 'starters' | 'nobody';
  /** The most saved filters one user may own (`EDDY_SAVED_FILTERS_PER_USER`); `saveFilter` refuses more. */
  maxSavedFiltersPerUser: number;
}

/** Injection token of the {@link TasklistOptions}. */
export const TASKLIST_OPTIONS = Symbol('TASKLIST_OPTIONS');

export const DEFAULT_TASKLIST_OPTIONS: TasklistOptions = {
  path: '/graphql',
  readYourWritesTimeoutMs: 5_000,
  maxQueryDepth: 10,
  maxQueryCost: 20_000,
  maxPageSize: 200,
  maxSubscriptionsPerConnection: 20,
  maxConnectionsPerUser: 50,
  maxPayloadBytes: 100 * 1024,
  maxSnapshotItems: 10_000,
  maxQueuedChanges: 10_000,
  snapshotPageSize: 1_000,
  maxPayloadDepth: DEFAULT_MAX_PAYLOAD_DEPTH,
  maxCommentLength: DEFAULT_MAX_COMMENT_LENGTH,
  introspection: true,
  formsDir: null,
  tasksWithoutCandidates: 'starters',
  maxSavedFiltersPerUser: 100,
};

/**
 * Completes partial options with the defaults and checks them, failing fast with the name of the
 * bad setting.
 */
export function resolveTasklistOptions(partial: Partial<TasklistOptions> = {}): TasklistOptions {
  const options: TasklistOptions = { ...DEFAULT_TASKLIST_OPTIONS };
  for (const [key, value] of Object.entries(partial)) {
    if (value !== undefined) (options as unknown as Record<string, unknown>)[key] = value;
  }
  const positive: (keyof TasklistOptions)[] = [
    'readYourWritesTimeoutMs',
    'maxQueryDepth',
    'maxQueryCost',
    'maxPageSize',
    'maxSubscriptionsPerConnection',
    'maxConnectionsPerUser',
    'maxPayloadBytes',
    'maxSnapshotItems',
    'maxQueuedChanges',
    'snapshotPageSize',
    'maxPayloadDepth',
    'maxCommentLength',
    'maxSavedFiltersPerUser',
  ];
  for (const key of positive) {
    const value = options[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new Error(`TASKLIST-001 tasklist option ${key} must be a positive integer, got ${String(value)}`);
    }
  }
  for (const key of ['maxPageSize', 'snapshotPageSize'] as const) {
    if (options[key] > 1_000) {
      throw new Error(`TASKLIST-001 tasklist option ${key} must be at most 1000 (the view store's limit)`);
    }
  }
  if (options.tasksWithoutCandidates !== 'starters' && options.tasksWithoutCandidates !== 'nobody') {
    throw new Error(
      `TASKLIST-001 tasklist option tasksWithoutCandidates must be starters or nobody, got ${String(options.tasksWithoutCandidates)}`,
    );
  }
  if (typeof options.path !== 'string' || !options.path.startsWith('/')) {
    throw new Error(`TASKLIST-001 tasklist option path must start with '/', got ${String(options.path)}`);
  }
  return options;
}
