import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import {
  COLLECTOR_OPTIONS,
  validateCollectorOptions,
  type CollectorOptions,
} from './collector/collector.options';
import { TransactionCollector } from './collector/transaction.collector';
import { BPMN_DEPLOYMENT_OPTIONS, BpmnDeployer } from './deployment/bpmn.deployer';
import {
  CHECKPOINT_STORE,
  MemoryCheckpointStore,
  SqliteCheckpointStore,
  type CheckpointStore,
} from './engine-client/checkpoint.store';
import { ENGINE_CLIENT_OPTIONS, EngineClient, type EngineClientOptions } from './engine-client/engine.client';
import { Camunda8ProcessEngine, type Camunda8ProcessEngineOptions } from './engine/camunda8/camunda8.engine';
import { EmbeddedProcessEngine, type EmbeddedProcessEngineOptions } from './engine/embedded/embedded.engine';
import { EmbeddedEngineThread } from './engine/embedded-thread/embedded-thread.engine';
import { ENGINE_REQUESTS, PROCESS_ENGINE, type ProcessEngine } from './engine/engine.port';
import { JOB_WORKER_API } from './engine/job-worker.port';

/** Options of {@link CollectorModule.forRoot}. */
export interface CollectorModuleOptions extends CollectorOptions {
  /** The data folder: the embedded engine's file and the engine client's checkpoint live here. */
  dataDir: string;
  /** Folder whose `.bpmn` files are deployed at start (`EDDY_BPMN_DIR`); null: deploy nothing. */
  bpmnDir: string | null;
  /** Settings of the embedded engine beyond its folder (durability, service task handlers, redelivery). */
  engine?: Omit<EmbeddedProcessEngineOptions, 'dataDir'>;
  /** Which engine is `PROCESS_ENGINE`: the embedded one (default) or Camunda 8 (`EDDY_ENGINE=camunda8`). */
  engineKind?: 'embedded' | 'camunda8';
  /**
   * The embedded engine on a worker thread of its own (`EDDY_ENGINE_THREAD=on`), so that it uses a core of its
   * own beside the collector, the core and the projections. Default false.
   */
  engineThread?: boolean;
  /** Settings of the Camunda 8 adapter; its connection is the SDK's own configuration (ZEEBE_REST_ADDRESS ...). */
  camunda8?: Omit<Camunda8ProcessEngineOptions, 'dataDir'> & { inMemory?: boolean };
  /** Retries of the engine client's calls. */
  engineClient?: Omit<EngineClientOptions, 'applicationName'>;
  /** Where the engine client keeps its position in the event log. Default `sqlite` (in `dataDir`). */
  checkpoints?: 'sqlite' | 'memory';
}

/** The engine the options name: Camunda 8, or the embedded one on the main thread or on a thread of its own. */
function openEngine(options: CollectorModuleOptions): ProcessEngine | Promise<ProcessEngine> {
  if (options.engineKind === 'camunda8') {
    return Camunda8ProcessEngine.open({
      ...options.camunda8,
      dataDir: options.camunda8?.inMemory ? null : options.dataDir,
    });
  }
  const engineOptions = { ...options.engine, dataDir: options.dataDir };
  return options.engineThread
    ? EmbeddedEngineThread.open(engineOptions)
    : EmbeddedProcessEngine.open(engineOptions);
}

/**
 * Starts the parts in the order they depend on each other: the collector listens before anything is
 * deployed, the definitions are registered before the engine client carries user actions to the engine.
 * On shutdown, before the event store closes: the client stops, then the engine (which finishes the
 * delivery in progress), then the checkpoint store.
 */
@Injectable()
export class CollectorLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('CollectorModule');

  constructor(
    @Inject(PROCESS_ENGINE) private readonly engine: ProcessEngine,
    @Inject(CHECKPOINT_STORE) private readonly checkpoints: CheckpointStore,
    @Inject(TransactionCollector) private readonly collector: TransactionCollector,
    @Inject(BpmnDeployer) private readonly deployer: BpmnDeployer,
    @Inject(EngineClient) private readonly client: EngineClient,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.collector.start();
    await this.deployer.deployAll();
    await this.client.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.client.stop();
    await this.engine.close();
    this.collector.stop();
    await this.checkpoints.close();
    this.logger.log('COLLECTOR-040 engine, collector and engine client stopped');
  }
}

/**
 * The process side of Eddy in one module: the engine (`PROCESS_ENGINE`: embedded, or Camunda 8), the collector that turns
 * its transactions into commands, the deployer of the BPMN folder and the engine client that carries
 * tasklist actions to the engine. Needs `COMMAND_DISPATCHER` (the core) and `EVENT_STORE` from the
 * application.
 */
@Module({})
export class CollectorModule {
  static forRoot(options: CollectorModuleOptions): DynamicModule {
    const collectorOptions = validateCollectorOptions({
      applicationName: options.applicationName,
      variableFilters: options.variableFilters,
      correlations: options.correlations,
      maxPayloadDepth: options.maxPayloadDepth,
    });
    if (typeof options.dataDir !== 'string' || options.dataDir === '') {
      throw new Error('collector options: dataDir: a folder is required');
    }
    return {
      module: CollectorModule,
      providers: [
        { provide: COLLECTOR_OPTIONS, useValue: collectorOptions },
        {
          provide: BPMN_DEPLOYMENT_OPTIONS,
          useValue: { applicationName: options.applicationName, bpmnDir: options.bpmnDir },
        },
        {
          provide: ENGINE_CLIENT_OPTIONS,
          useValue: { ...options.engineClient, applicationName: options.applicationName },
        },
        {
          provide: PROCESS_ENGINE,
          useFactory: () => openEngine(options),
        },
        // What the api role asks of the engine: here, the engine itself.
        { provide: ENGINE_REQUESTS, useExisting: PROCESS_ENGINE },
        {
          // The embedded engine hands its jobs to workers itself; Camunda 8's workers talk to Camunda.
          provide: JOB_WORKER_API,
          inject: [PROCESS_ENGINE],
          useFactory: (engine: ProcessEngine) =>
            engine instanceof EmbeddedProcessEngine || engine instanceof EmbeddedEngineThread
              ? engine.jobs
              : null,
        },
        {
          provide: CHECKPOINT_STORE,
          useFactory: () =>
            options.checkpoints === 'memory'
              ? new MemoryCheckpointStore()
              : SqliteCheckpointStore.inFolder(options.dataDir),
        },
        TransactionCollector,
        BpmnDeployer,
        EngineClient,
        CollectorLifecycle,
      ],
      exports: [PROCESS_ENGINE, ENGINE_REQUESTS, JOB_WORKER_API, TransactionCollector, EngineClient],
    };
  }
}
