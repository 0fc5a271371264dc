import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  COMMAND_DISPATCHER,
  firstIssue,
  registerProcessDefinitionSchema,
  type CommandDispatcher,
  type RegisterProcessDefinition,
  type RegisterProcessDefinitionData,
} from '@eddy/contracts';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PROCESS_ENGINE, type DeployedProcessDefinition, type ProcessEngine } from '../engine/engine.port';

/** What the deployer deploys, and for which application it registers the definitions. */
export interface BpmnDeploymentOptions {
  applicationName: string;
  /** Folder whose `.bpmn` files are deployed at start; null: deploy nothing. */
  bpmnDir: string | null;
}

/** Injection token of the {@link BpmnDeploymentOptions}. */
export const BPMN_DEPLOYMENT_OPTIONS = Symbol('BPMN_DEPLOYMENT_OPTIONS');

/** A BPMN file could not be deployed: start-up stops with the file and the engine's reason. */
export class BpmnDeploymentError extends Error {
  constructor(
    readonly file: string,
    override readonly cause: unknown,
  ) {
    super(`COLLECTOR-030 ${file}: deployment failed: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'BpmnDeploymentError';
  }
}

/** The registration command of a deployed definition. */
export function registrationOf(
  definition: DeployedProcessDefinition,
  applicationName: string,
): RegisterProcessDefinitionData {
  const data: RegisterProcessDefinitionData = {
    id: definition.id,
    key: definition.key,
    version: definition.version,
    name: definition.name || definition.key,
    applicationName,
    startableFromTasklist: definition.startableFromTasklist,
    candidateStarterUsers: definition.candidateStarterUsers,
    candidateStarterGroups: definition.candidateStarterGroups,
  };
  if (definition.versionTag) data.versionTag = definition.versionTag;
  if (definition.formKey) data.formKey = definition.formKey;
  return data;
}

/**
 * Deploys every `.dmn` and then every `.bpmn` file of the configured folder (in name order) and registers each deployed process
 * definition with the core. The same XML deployed again is the same definition, and registering it again
 * is answered as a duplicate; a changed file becomes a new version.
 *
 * Log codes: `COLLECTOR-03x`.
 */
@Injectable()
export class BpmnDeployer {
  private readonly logger = new Logger('BpmnDeployer');

  constructor(
    @Inject(PROCESS_ENGINE) private readonly engine: ProcessEngine,
    @Inject(COMMAND_DISPATCHER) private readonly dispatcher: CommandDispatcher,
    @Inject(BPMN_DEPLOYMENT_OPTIONS) private readonly options: BpmnDeploymentOptions,
  ) {}

  /** Deploys the folder; throws {@link BpmnDeploymentError} for the first file that fails. */
  async deployAll(): Promise<DeployedProcessDefinition[]> {
    const { bpmnDir } = this.options;
    if (bpmnDir === null) return [];
    const folder = resolve(bpmnDir);
    if (!existsSync(folder) || !statSync(folder).isDirectory()) {
      throw new Error(`COLLECTOR-031 EDDY_BPMN_DIR: ${folder} is not a folder`);
    }
    // The decisions (.dmn) first, so that business rule tasks find them.
    const names = readdirSync(folder).sort();
    const files = [...names.filter((n) => n.endsWith('.dmn')), ...names.filter((n) => n.endsWith('.bpmn'))];
    const deployed: DeployedProcessDefinition[] = [];
    for (const file of files) {
      let definitions: DeployedProcessDefinition[];
      try {
        definitions = await this.engine.deploy({
          xml: readFileSync(join(folder, file), 'utf8'),
          resourceName: file,
        });
      } catch (error) {
        throw new BpmnDeploymentError(file, error);
      }
      for (const definition of definitions) await this.register(definition, file);
      deployed.push(...definitions);
    }
    this.logger.log(
      `COLLECTOR-032 deployed ${deployed.length} process definition(s) from ${files.length} file(s) in ${folder}: ${deployed.map((d) => d.id).join(', ')}`,
    );
    return deployed;
  }

  private async register(definition: DeployedProcessDefinition, file: string): Promise<void> {
    const command: RegisterProcessDefinition = {
      type: 'RegisterProcessDefinition',
      data: registrationOf(definition, this.options.applicationName),
    };
    const parsed = registerProcessDefinitionSchema.safeParse(command.data);
    if (!parsed.success) {
      const { path, problem } = firstIssue(parsed.error, ['data']);
      throw new BpmnDeploymentError(file, new Error(`process ${definition.id}: ${path}: ${problem}`));
    }
    const result = await this.dispatcher.dispatch({
      ...command,
      metadata: {
        commandId: `deploy:${this.options.applicationName}:${definition.id}`,
        correlationId: `deploy:${file}`,
        timestamp: new Date().toISOString(),
      },
    });
    if (result.status === 'rejected') {
      // A definition that the core refuses stays deployed in the engine, but no one can see it: stop start-up.
      throw new BpmnDeploymentError(
        file,
        new Error(`registration of ${definition.id} rejected: ${result.error.code}: ${result.error.message}`),
      );
    }
  }
}
