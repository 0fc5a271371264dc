import { type Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { EngineError } from '../engine.errors';
import { type BpmnResource, type DeployedProcessDefinition } from '../engine.port';
import { type EmbeddedEngineStore } from './embedded-engine.store';
import { type CompiledDefinition } from './instance-state';
import { compileBpmn, compileBpmnResource, type CompiledProcess } from './zeebe-model.compiler';

type StoredDefinition = DeployedProcessDefinition & { hash: string; xml: string };

/**
 * The embedded engine's process definitions: every deployed version with its XML, the latest version of
 * each process, and the compiled form of each (compiled once, on deployment or on first use after a restart).
 */
export class ProcessDefinitions {
  private readonly definitions = new Map<string, StoredDefinition>();
  private readonly latestByKey = new Map<string, string>();
  private readonly compiled = new Map<string, Promise<CompiledDefinition>>();
  private deployQueue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: EmbeddedEngineStore,
    private readonly tenantId: string | null,
    private readonly logger: Logger,
  ) {}

  get size(): number {
    return this.definitions.size;
  }

  /** Reads the stored definitions (when the engine opens). */
  load(): void {
    for (const stored of this.store.loadDefinitions()) {
      this.definitions.set(stored.definition.id, {
        ...stored.definition,
        hash: stored.hash,
        xml: stored.xml,
      });
      this.latestByKey.set(stored.definition.key, stored.definition.id);
    }
  }

  /**
   * Compiles and stores each executable process of a resource as a new version, unless its XML is the latest
   * version's. Deployments run one after the other, so that two of one process cannot take the same version.
   */
  deploy(resource: BpmnResource): Promise<DeployedProcessDefinition[]> {
    const run = async () => {
      const processes = await compileBpmnResource(resource.xml, resource.resourceName);
      return processes.map((compiled) => this.storeVersion(resource, compiled));
    };
    const result = this.deployQueue.then(run, run);
    this.deployQueue = result.catch(() => undefined);
    return result;
  }

  /** Stores one compiled process of a resource as a new version, unless its XML is the latest version's. */
  private storeVersion(resource: BpmnResource, compiled: CompiledProcess): DeployedProcessDefinition {
    const hash = createHash('sha256').update(resource.xml).digest('hex');
    const latestId = this.latestByKey.get(compiled.key);
    const latest = latestId ? this.definitions.get(latestId) : undefined;
    if (latest && latest.hash === hash) return strip(latest);

    const version = (latest?.version ?? 0) + 1;
    const deployed: DeployedProcessDefinition = {
      id: `${compiled.key}:${version}`,
      key: compiled.key,
      version,
      name: compiled.name,
      versionTag: compiled.versionTag,
      formKey: compiled.formKey,
      startableFromTasklist: compiled.startableFromTasklist,
      candidateStarterGroups: compiled.candidateStarterGroups,
      candidateStarterUsers: compiled.candidateStarterUsers,
      resourceName: resource.resourceName,
      tenantId: this.tenantId,
    };
    this.store.insertDefinitions([{ definition: deployed, hash, xml: resource.xml }]);
    this.definitions.set(deployed.id, { ...deployed, hash, xml: resource.xml });
    this.latestByKey.set(deployed.key, deployed.id);
    this.compiled.set(deployed.id, Promise.resolve({ deployed, compiled }));
    this.logger.log(`ENGINE-001 deployed ${deployed.id} from ${resource.resourceName}`);
    return deployed;
  }

  /** The latest version of every process. */
  latest(): DeployedProcessDefinition[] {
    return [...this.latestByKey.values()].map((id) => strip(this.definitions.get(id)!));
  }

  /** Id of the latest version of a process, if deployed. */
  latestId(key: string): string | undefined {
    return this.latestByKey.get(key);
  }

  /** A version with its compiled form. */
  compiledDefinition(definitionId: string): Promise<CompiledDefinition> {
    let compiled = this.compiled.get(definitionId);
    if (!compiled) {
      const stored = this.definitions.get(definitionId);
      if (!stored)
        return Promise.reject(
          new EngineError('UNKNOWN_PROCESS_DEFINITION', `no process definition ${definitionId}`),
        );
      compiled = compileBpmn(stored.xml, stored.resourceName, stored.key).then((c) => ({
        deployed: strip(stored),
        compiled: c,
      }));
      this.compiled.set(definitionId, compiled);
    }
    return compiled;
  }
}

function strip(d: StoredDefinition): DeployedProcessDefinition {
  const { hash: _hash, xml: _xml, ...definition } = d;
  return definition;
}
