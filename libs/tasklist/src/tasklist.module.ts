import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import {
  Module,
  type DynamicModule,
  type FactoryProvider,
  type InjectionToken,
  type ModuleMetadata,
} from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { join } from 'node:path';
import { FormCatalog } from './forms/form-catalog';
import { FormQueryResolver } from './forms/form.resolver';
import { HISTORY_RESOLVERS } from './history/history.resolvers';
import { LiveListsService } from './live/live-lists.service';
import { operationSpanPlugin } from './observability/operation-span.plugin';
import { operationLatencyPlugin } from './observability/tasklist.metrics';
import { QueryLimits } from './protection/query-limits';
import {
  DataEntryFieldsResolver,
  TaskFieldsResolver,
  TasklistMutationResolver,
  TasklistQueryResolver,
  TasklistSubscriptionResolver,
} from './resolvers/tasklist.resolvers';
import { TaskCountsService } from './counts/task-counts.service';
import { ProcessInstancesResolver } from './resolvers/process-instances.resolver';
import { TaskCountsResolver } from './resolvers/task-counts.resolver';
import { TaskEditsResolver } from './resolvers/task-edits.resolver';
import { SavedFiltersResolver } from './saved-filters/saved-filters.resolver';
import { SavedFiltersService } from './saved-filters/saved-filters.service';
import { DateTimeScalar, JsonScalar } from './schema/scalars';
import { TaskInteractionsService } from './task-interactions.service';
import { TasklistContextFactory } from './tasklist.context';
import { formatForClient, tasklistError } from './tasklist.errors';
import { resolveTasklistOptions, TASKLIST_OPTIONS, type TasklistOptions } from './tasklist.options';
import { GraphqlExplorerController, graphqlExplorerPlugin } from './transport/graphql-explorer.controller';
import { GRAPHQL_WS_DRAIN, GraphqlWsDrain } from './transport/graphql-ws.drain';
import { GraphqlWsServer, MAX_DOCUMENT_TOKENS } from './transport/graphql-ws.server';

/** Where the schema files live: the contract's copy and, beside it, any additions. */
export const TASKLIST_SCHEMA_GLOB = join(__dirname, 'schema', '*.graphql');

export interface TasklistModuleAsyncOptions {
  /** Modules that provide what `useFactory` injects. */
  imports?: ModuleMetadata['imports'];
  inject?: InjectionToken[];
  useFactory: (...args: never[]) => Partial<TasklistOptions> | Promise<Partial<TasklistOptions>>;
}

@Module({})
class TasklistCoreModule {}

/**
 * The tasklist GraphQL API on `options.path` (default `/graphql`): queries, read-your-writes
 * mutations and live subscriptions over graphql-ws on the same path.
 *
 * Needs, from the application: `AuthModule` (global, for the `Authenticator`), the view store
 * (`VIEW_STORE`), the command dispatcher (`COMMAND_DISPATCHER`) and, to start processes, the
 * process engine's requests (`ENGINE_REQUESTS`, optional), either global or from the modules in `imports`.
 */
@Module({})
export class TasklistModule {
  static forRoot(
    options: Partial<TasklistOptions> = {},
    imports: ModuleMetadata['imports'] = [],
  ): DynamicModule {
    return TasklistModule.forRootAsync({ imports, useFactory: () => options });
  }

  static forRootAsync(async: TasklistModuleAsyncOptions): DynamicModule {
    const optionsProvider: FactoryProvider = {
      provide: TASKLIST_OPTIONS,
      inject: async.inject ?? [],
      useFactory: async (...args: never[]) => resolveTasklistOptions(await async.useFactory(...args)),
    };
    const core: DynamicModule = {
      module: TasklistCoreModule,
      imports: async.imports ?? [],
      providers: [
        optionsProvider,
        TasklistContextFactory,
        QueryLimits,
        LiveListsService,
        TaskInteractionsService,
        FormCatalog,
      ],
      exports: [
        TASKLIST_OPTIONS,
        TasklistContextFactory,
        QueryLimits,
        LiveListsService,
        TaskInteractionsService,
        FormCatalog,
      ],
    };
    const drain = new GraphqlWsDrain();
    const graphql = GraphQLModule.forRootAsync<ApolloDriverConfig>({
      driver: ApolloDriver,
      imports: [core],
      inject: [TASKLIST_OPTIONS, TasklistContextFactory, QueryLimits],
      useFactory: (options: TasklistOptions, contexts: TasklistContextFactory, limits: QueryLimits) => ({
        path: options.path,
        typePaths: [TASKLIST_SCHEMA_GLOB],
        resolvers: { DateTime: DateTimeScalar, JSON: JsonScalar },
        include: [TasklistModule],
        context: ({
          req,
        }: {
          req: Parameters<TasklistContextFactory['forHttp']>[0] & { headers: Record<string, unknown> };
        }) => {
          const length = Number(req.headers['content-length'] ?? 0);
          if (length > options.maxPayloadBytes) {
            throw tasklistError('BAD_USER_INPUT', `request body exceeds ${options.maxPayloadBytes} bytes`, {
              http: { status: 413 },
            });
          }
          return contexts.forHttp(req);
        },
        introspection: options.introspection,
        playground: false,
        graphiql: false,
        persistedQueries: false,
        allowBatchedHttpRequests: false,
        includeStacktraceInErrorResponses: false,
        parseOptions: { maxTokens: MAX_DOCUMENT_TOKENS },
        // No cache hints in this API: the cache control plugin would only cost time per field.
        plugins: [
          limits.apolloPlugin(),
          ApolloServerPluginCacheControlDisabled(),
          operationLatencyPlugin(),
          operationSpanPlugin(),
          // A browser's GET of the path gets the GraphQL explorer.
          graphqlExplorerPlugin(),
          // On shutdown, graphql-ws connections are closed with 1001 before the HTTP server drains.
          drain.plugin(),
        ],
        formatError: formatForClient,
        // graphql-ws runs in GraphqlWsServer, on the same path.
        subscriptions: undefined,
      }),
    });
    return {
      module: TasklistModule,
      imports: [core, graphql],
      controllers: [GraphqlExplorerController],
      providers: [
        TasklistQueryResolver,
        TaskFieldsResolver,
        DataEntryFieldsResolver,
        TasklistMutationResolver,
        TasklistSubscriptionResolver,
        FormQueryResolver,
        TaskEditsResolver,
        TaskCountsResolver,
        ProcessInstancesResolver,
        SavedFiltersResolver,
        SavedFiltersService,
        TaskCountsService,
        ...HISTORY_RESOLVERS,
        GraphqlWsServer,
        { provide: GRAPHQL_WS_DRAIN, useValue: drain },
      ],
      exports: [core],
    };
  }
}
