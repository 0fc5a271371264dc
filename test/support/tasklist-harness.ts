import 'reflect-metadata';
import { AuthModule, type AuthOptions } from '@eddy/auth';
import {
  COMMAND_DISPATCHER,
  type Command,
  type CommandDispatcher,
  type CommandResult,
  type CreateTaskData,
} from '@eddy/contracts';
import { EVENT_STORE, MemoryEventStore, type EventStore } from '@eddy/eventstore';
import { EventStoreModule } from '@eddy/eventstore/event-store.module';
import {
  DEFAULT_PROJECTIONS,
  MemoryViewStore,
  ProjectionRunner,
  resolveSearchSettings,
  SEARCH_SETTINGS,
  type SearchSettings,
  VIEW_STORE,
  type ViewStore,
} from '@eddy/projections';
import { TasklistModule, type TasklistOptions } from '@eddy/tasklist';
import { CoreCommandDispatcher, CoreModule } from '@eddy/taskpool';
import {
  Global,
  Module,
  type DynamicModule,
  type INestApplication,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createClient, type Client, type ClientOptions } from 'graphql-ws';
import { SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';

/**
 * An end-to-end harness of the tasklist: the core (command dispatcher), the real projections into
 * the in-memory view store, and the tasklist GraphQL API on a real HTTP server on a random port.
 * Tests seed through the dispatcher and talk to the API over HTTP and graphql-ws like a client.
 */

export const HARNESS_JWT_SECRET = 'tasklist-harness-secret-long-enough-for-hs256';
export const HARNESS_JWT_ISSUER = 'eddy-harness';
export const HARNESS_JWT_AUDIENCE = 'eddy';

export interface TasklistHarnessOptions {
  tasklist?: Partial<TasklistOptions>;
  /** `jwt` (default): bearer tokens signed with the harness secret; `dev`: x-user/x-groups. */
  authMode?: 'dev' | 'jwt';
  /** Wraps the real dispatcher, e.g. to observe or delay commands. */
  wrapDispatcher?: (real: CommandDispatcher) => CommandDispatcher;
  /** Extra providers (e.g. an `ENGINE_REQUESTS` double). */
  providers?: Provider[];
  /** The view store's search settings (`EDDY_SEARCH_*`). */
  search?: Partial<SearchSettings>;
}

class ProjectionsService implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(readonly runner: ProjectionRunner) {}
  async onApplicationBootstrap(): Promise<void> {
    await this.runner.start();
  }
  async onApplicationShutdown(): Promise<void> {
    await this.runner.stop();
  }
}

/** The projections of the single-node deployment: every view in the memory view store. */
@Global()
@Module({})
class HarnessProjectionsModule {
  static forRoot(viewStore: ViewStore, search: SearchSettings): DynamicModule {
    return {
      module: HarnessProjectionsModule,
      providers: [
        { provide: VIEW_STORE, useValue: viewStore },
        { provide: SEARCH_SETTINGS, useValue: search },
        {
          provide: ProjectionsService,
          inject: [EVENT_STORE],
          useFactory: (events: EventStore) =>
            new ProjectionsService(new ProjectionRunner(events, viewStore, DEFAULT_PROJECTIONS)),
        },
      ],
      exports: [VIEW_STORE, SEARCH_SETTINGS],
    };
  }
}

@Global()
@Module({})
class HarnessExtrasModule {
  static forRoot(providers: Provider[]): DynamicModule {
    return {
      module: HarnessExtrasModule,
      providers,
      exports: providers.map((p) => ('provide' in p ? p.provide : p)),
    };
  }
}

export interface GraphqlAnswer<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; [key: string]: unknown } }[];
}

export class TasklistHarness {
  private constructor(
    readonly app: INestApplication,
    /** http://127.0.0.1:<port> */
    readonly url: string,
    readonly eventStore: MemoryEventStore,
    readonly viewStore: MemoryViewStore,
    /** The dispatcher the API uses (wrapped when the options wrap it). */
    readonly dispatcher: CommandDispatcher,
    readonly options: TasklistHarnessOptions,
  ) {}

  static async start(options: TasklistHarnessOptions = {}): Promise<TasklistHarness> {
    const eventStore = new MemoryEventStore();
    const search = resolveSearchSettings(options.search);
    const viewStore = new MemoryViewStore({ changeHistoryPerView: 100_000, search });
    const auth: AuthOptions = {
      mode: options.authMode ?? 'jwt',
      jwt: {
        secret: HARNESS_JWT_SECRET,
        issuer: HARNESS_JWT_ISSUER,
        audience: HARNESS_JWT_AUDIENCE,
        userClaim: 'sub',
        groupsClaim: 'groups',
      },
      adminGroups: ['admins'],
      commandGroups: ['process-applications'],
      taskManagerGroups: ['task-managers'],
    };
    const builder = Test.createTestingModule({
      imports: [
        EventStoreModule.forStore(eventStore),
        HarnessExtrasModule.forRoot(options.providers ?? []),
        AuthModule.forRoot(auth),
        CoreModule.forRoot({ maxRetries: 5 }),
        HarnessProjectionsModule.forRoot(viewStore, search),
        TasklistModule.forRoot(options.tasklist ?? {}),
      ],
    });
    const moduleRef = await builder.compile();
    moduleRef.useLogger(['error', 'warn']);
    if (options.wrapDispatcher) {
      // Wrapped in place: every user of the core's dispatcher (the API included) sees the wrapper.
      const core = moduleRef.get(CoreCommandDispatcher, { strict: false });
      const real: CommandDispatcher = { dispatch: core.dispatch.bind(core) };
      const wrapped = options.wrapDispatcher(real);
      core.dispatch = (command) => wrapped.dispatch(command);
    }
    const app = moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false });
    app.useBodyParser('json', { limit: options.tasklist?.maxPayloadBytes ?? 100 * 1024 });
    await app.listen(0, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
    return new TasklistHarness(app, url, eventStore, viewStore, app.get(COMMAND_DISPATCHER), options);
  }

  get wsUrl(): string {
    return `${this.url.replace(/^http/, 'ws')}${this.options.tasklist?.path ?? '/graphql'}`;
  }

  /** A bearer token signed with the harness secret; `expiresIn` in seconds. */
  async token(user: string, groups: string[], expiresInSeconds = 3600): Promise<string> {
    return new SignJWT({ groups })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user)
      .setIssuer(HARNESS_JWT_ISSUER)
      .setAudience(HARNESS_JWT_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSeconds)
      .sign(new TextEncoder().encode(HARNESS_JWT_SECRET));
  }

  /** Headers (or connection_init payload) of a user with a fresh bearer token. */
  async as(user: string, groups: string[] = []): Promise<Record<string, string>> {
    return { Authorization: `Bearer ${await this.token(user, groups)}` };
  }

  /** POSTs a GraphQL operation. */
  async graphql<T = Record<string, unknown>>(
    query: string,
    variables: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ): Promise<GraphqlAnswer<T>> {
    const response = await fetch(`${this.url}${this.options.tasklist?.path ?? '/graphql'}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    let body: Omit<GraphqlAnswer<T>, 'status'> = {};
    try {
      body = JSON.parse(text);
    } catch {
      body = { errors: [{ message: text }] };
    }
    return { status: response.status, ...body };
  }

  /** A graphql-ws client that does not retry, so that closes reach the test. */
  client(connectionParams: Record<string, unknown>, options: Partial<ClientOptions> = {}): Client {
    return createClient({
      url: this.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams,
      retryAttempts: 0,
      lazy: false,
      onNonLazyError: () => undefined,
      ...options,
    });
  }

  /** Sends a command through the core as a process application would, and waits for the views. */
  async dispatch(command: Command): Promise<CommandResult> {
    const result = await this.dispatcher.dispatch({
      ...command,
      metadata: {
        commandId: randomUUID(),
        correlationId: randomUUID(),
        userId: 'harness',
        timestamp: new Date().toISOString(),
      },
    } as Parameters<CommandDispatcher['dispatch']>[0]);
    if (result.status === 'rejected') throw new Error(`${command.type} rejected: ${result.error.message}`);
    return result;
  }

  /** Waits until every view has passed the store's head. */
  async settle(timeoutMs = 10_000): Promise<void> {
    await this.viewStore.waitForPosition(await this.eventStore.headPosition(), timeoutMs);
  }

  /** Creates a task as an engine would report it and, unless told not to, waits until the views show it. */
  async createTask(
    id: string,
    data: Partial<CreateTaskData> = {},
    { wait = true }: { wait?: boolean } = {},
  ): Promise<CommandResult> {
    const result = await this.dispatch({
      type: 'CreateTask',
      data: {
        id,
        name: `Task ${id}`,
        taskDefinitionKey: 'review',
        sourceReference: {
          type: 'process',
          instanceId: `pi-${id}`,
          definitionId: 'review:1',
          definitionKey: 'review',
          name: 'Review',
          applicationName: 'review-app',
        },
        ...data,
      },
    });
    if (wait && result.status !== 'rejected') await this.viewStore.waitForPosition(result.position, 10_000);
    return result;
  }

  async close(): Promise<void> {
    await this.app.close();
  }
}

/** Collects the messages of one subscription; `until` waits for a condition on what arrived. */
export class SubscriptionProbe<T = Record<string, unknown>> {
  readonly results: { data?: T | null; errors?: GraphqlAnswer['errors'] }[] = [];
  error: unknown = null;
  completed = false;
  private readonly waiters = new Set<() => void>();
  private readonly dispose: () => void;

  constructor(client: Client, query: string, variables: Record<string, unknown> = {}) {
    this.dispose = client.subscribe<T>(
      { query, variables },
      {
        next: (result) => this.record(() => this.results.push(result as never)),
        error: (error) => this.record(() => (this.error = error)),
        complete: () => this.record(() => (this.completed = true)),
      },
    );
  }

  private record(change: () => void): void {
    change();
    for (const waiter of this.waiters) waiter();
  }

  /** Resolves once `condition` holds; rejects after `timeoutMs` with what arrived so far. */
  until(condition: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(
            `timed out waiting for ${what}; got ${JSON.stringify(this.results).slice(0, 2000)} error ${String(this.error)}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  close(): void {
    this.dispose();
  }
}
