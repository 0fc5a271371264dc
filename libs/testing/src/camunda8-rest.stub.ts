import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventEmitter } from 'node:events';
import { evaluate as parseExpression } from 'feelin';

/**
 * A STUB of the Camunda 8.8 Orchestration Cluster REST API (`/v2`): the endpoints the Eddy Camunda 8 adapter
 * calls, with the request and response shapes of Camunda's published API reference, served over HTTP on
 * 127.0.0.1 so that the adapter talks to it through `@camunda8/sdk` as it would to a cluster.
 *
 * It is not Camunda. It runs a process as a path of elements from its none start event, following the first
 * outgoing sequence flow of each: user tasks (`zeebe:userTask`, with the task listeners of the model),
 * message intermediate catch events (`zeebe:subscription`), none end events; any other element is passed
 * through. Expressions are `=variable` references or literals, nothing else of FEEL. The start and end
 * execution listeners of a process and the creating, assigning, updating, completing and canceling task
 * listeners of a user task are jobs that block the instance or task until completed, as in Camunda 8.8; a
 * job failed with no retries left becomes an incident. Search results are up to date at once (Camunda's are
 * eventually consistent).
 */

type Variables = Record<string, unknown>;

interface Listener {
  eventType: string;
  type: string;
  retries: number;
}

interface StubElement {
  id: string;
  type: string;
  name: string | null;
  outgoing: string[];
  taskListeners: Listener[];
  assignee?: string;
  candidateUsers?: string;
  candidateGroups?: string;
  priority?: string;
  dueDate?: string;
  followUpDate?: string;
  formKey?: string;
  isZeebeUserTask: boolean;
  messageName?: string;
  correlationKey?: string;
}

interface StubDefinition {
  key: string;
  processId: string;
  name: string | null;
  version: number;
  versionTag: string | null;
  resourceName: string;
  xml: string;
  elements: Map<string, StubElement>;
  startEventId: string | null;
  executionListeners: Listener[];
}

interface StubInstance {
  key: string;
  definition: StubDefinition;
  variables: Variables;
  state: 'ACTIVE' | 'COMPLETED' | 'TERMINATED';
  startDate: string;
  endDate: string | null;
  /** Element instance key of the process itself. */
  elementInstanceKey: string;
  waitingFor: { elementId: string; messageName: string; correlationKey: string } | null;
}

/** A user task as the stub keeps it; `state` follows Camunda 8.8's `UserTaskStateEnum`. */
export interface StubUserTask {
  userTaskKey: string;
  elementId: string;
  elementInstanceKey: string;
  name: string | null;
  state: string;
  assignee: string | null;
  candidateUsers: string[];
  candidateGroups: string[];
  priority: number;
  dueDate: string | null;
  followUpDate: string | null;
  formKey: string | null;
  creationDate: string;
  completionDate: string | null;
  processInstanceKey: string;
  processDefinitionKey: string;
  processDefinitionId: string;
  processDefinitionVersion: number;
  processName: string | null;
}

/** A job as the stub keeps it. */
export interface StubJob {
  jobKey: string;
  type: string;
  kind: 'TASK_LISTENER' | 'EXECUTION_LISTENER';
  listenerEventType: string;
  state: 'ACTIVATABLE' | 'ACTIVATED' | 'COMPLETED' | 'INCIDENT' | 'CANCELED';
  retries: number;
  errorMessage: string | null;
  /** How often it was handed out. */
  activations: number;
  processInstanceKey: string;
  elementId: string;
  elementInstanceKey: string;
  userTaskKey: string | null;
  availableAt: number;
  deadline: number;
  variables: Variables;
  userTask: Record<string, unknown> | null;
  definition: StubDefinition;
  onComplete: () => void;
}

interface BufferedMessage {
  name: string;
  correlationKey: string;
  variables: Variables;
  expiresAt: number;
}

class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
  ) {
    super(detail);
  }
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const BpmnModdle = require('bpmn-moddle') as new (packages: Record<string, object>) => {
  fromXML(xml: string): Promise<{ rootElement: Record<string, unknown> }>;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const zeebePackage = require('zeebe-bpmn-moddle/resources/zeebe.json') as object;

type ModdleNode = Record<string, unknown> & { $type: string; id?: string; name?: string };

function ext(element: ModdleNode, type: string): ModdleNode | undefined {
  const values = (element['extensionElements'] as { values?: ModdleNode[] } | undefined)?.values ?? [];
  return values.find((v) => v.$type === type);
}

function listenersOf(element: ModdleNode, type: string): Listener[] {
  const listeners = (ext(element, type)?.['listeners'] as ModdleNode[] | undefined) ?? [];
  return listeners.map((l) => ({
    eventType: String(l['eventType'] ?? ''),
    type: String(l['type'] ?? ''),
    retries: Number(l['retries'] ?? 3),
  }));
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function evaluate(expression: string | undefined, variables: Variables): unknown {
  if (expression === undefined) return undefined;
  return expression.startsWith('=') ? variables[expression.slice(1).trim()] : expression;
}

function list(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string')
    return value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  return [];
}

/** The first zeebe attribute of `node` that holds a FEEL expression feelin cannot parse, as Camunda reports it. */
function feelProblem(node: ModdleNode): string | null {
  const values = (node['extensionElements'] as { values?: ModdleNode[] } | undefined)?.values ?? [];
  for (const value of values) {
    for (const [attribute, raw] of Object.entries(value)) {
      if (typeof raw !== 'string' || !raw.trimStart().startsWith('=')) continue;
      try {
        parseExpression(raw.trimStart().slice(1));
      } catch (error) {
        return `failed to parse expression '${raw.slice(1)}' of ${attribute}: ${(error as Error).message}`;
      }
    }
  }
  return null;
}

/** Element types Camunda 8.8 refuses to deploy, of those a test might use. */
const UNSUPPORTED_TYPES = new Set(['bpmn:ComplexGateway']);

async function readDefinitions(
  xml: string,
  resourceName: string,
): Promise<Omit<StubDefinition, 'key' | 'version'>[]> {
  const { rootElement } = await new BpmnModdle({ zeebe: zeebePackage }).fromXML(xml);
  const processes = ((rootElement['rootElements'] as ModdleNode[] | undefined) ?? []).filter(
    (e) => e.$type === 'bpmn:Process',
  );
  return processes.map((process) => {
    const elements = new Map<string, StubElement>();
    const flows = (process['flowElements'] as ModdleNode[] | undefined) ?? [];
    let startEventId: string | null = null;
    // A flow is known by its sourceRef and targetRef; the nodes' <outgoing> children are optional.
    const outgoing = new Map<string, string[]>();
    for (const flow of flows.filter((f) => f.$type === 'bpmn:SequenceFlow')) {
      const source = (flow['sourceRef'] as ModdleNode | undefined)?.id ?? '';
      outgoing.set(source, [
        ...(outgoing.get(source) ?? []),
        (flow['targetRef'] as ModdleNode | undefined)?.id ?? '',
      ]);
    }
    const unsupported = flows.filter((f) => UNSUPPORTED_TYPES.has(f.$type));
    const badFeel = flows.flatMap((f) => {
      const problem = feelProblem(f);
      return problem ? [`- Element: ${f.id}\n    - ERROR: ${problem}`] : [];
    });
    if (badFeel.length > 0) throw new Error(badFeel.join('\n'));
    if (unsupported.length > 0) {
      // The shape of Camunda's validation message: each element with its errors.
      throw new Error(
        unsupported
          .map(
            (f) =>
              `- Element: ${f.id}\n    - ERROR: Elements of type '${f.$type.replace('bpmn:', '')}' are currently not supported`,
          )
          .join('\n'),
      );
    }
    for (const node of flows) {
      if (node.$type === 'bpmn:SequenceFlow') continue;
      const assignment = ext(node, 'zeebe:AssignmentDefinition');
      const schedule = ext(node, 'zeebe:TaskSchedule');
      const form = ext(node, 'zeebe:FormDefinition');
      const message = ((node['eventDefinitions'] as ModdleNode[] | undefined) ?? []).find(
        (d) => d.$type === 'bpmn:MessageEventDefinition',
      );
      const messageRef = message?.['messageRef'] as ModdleNode | undefined;
      const subscription = messageRef ? ext(messageRef, 'zeebe:Subscription') : undefined;
      const definitions = (node['eventDefinitions'] as unknown[] | undefined) ?? [];
      if (node.$type === 'bpmn:StartEvent' && definitions.length === 0) startEventId = node.id ?? null;
      elements.set(node.id ?? '', {
        id: node.id ?? '',
        type: node.$type,
        name: node.name ?? null,
        outgoing: outgoing.get(node.id ?? '') ?? [],
        taskListeners: listenersOf(node, 'zeebe:TaskListeners'),
        assignee: str(assignment?.['assignee']),
        candidateUsers: str(assignment?.['candidateUsers']),
        candidateGroups: str(assignment?.['candidateGroups']),
        priority: str(ext(node, 'zeebe:PriorityDefinition')?.['priority']),
        dueDate: str(schedule?.['dueDate']),
        followUpDate: str(schedule?.['followUpDate']),
        formKey: str(form?.['formKey']) ?? str(form?.['externalReference']) ?? str(form?.['formId']),
        isZeebeUserTask: ext(node, 'zeebe:UserTask') !== undefined,
        messageName: str(messageRef?.name),
        correlationKey: str(subscription?.['correlationKey']),
      });
    }
    return {
      processId: process.id ?? '',
      name: process.name ?? null,
      versionTag: str(ext(process, 'zeebe:VersionTag')?.['value']) ?? null,
      resourceName,
      xml,
      elements,
      startEventId,
      executionListeners: listenersOf(process, 'zeebe:ExecutionListeners'),
    };
  });
}

/** The stub server. Start it with {@link Camunda8RestStub.start}; give the adapter `ZEEBE_REST_ADDRESS: stub.url`. */
export class Camunda8RestStub {
  private nextKey = 2251799813685249n;
  private readonly definitions: StubDefinition[] = [];
  private readonly instances = new Map<string, StubInstance>();
  private readonly tasks = new Map<string, StubUserTask>();
  private readonly jobList: StubJob[] = [];
  private readonly messages: BufferedMessage[] = [];
  private readonly messageIds = new Map<string, number>();
  private readonly wakeUp = new EventEmitter();
  /** Every request as `METHOD /path`, for tests that check which endpoints were used. */
  readonly requests: string[] = [];
  /** The requests that carried a W3C `traceparent` header, with it, for tests of the adapter's traces. */
  readonly tracedRequests: { request: string; traceparent: string }[] = [];
  /** The signals broadcast (`POST /v2/signals/broadcast`); the stub runs no signal events. */
  readonly signals: { signalName: string; variables: Variables }[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {
    this.wakeUp.setMaxListeners(0);
  }

  /** The SDK settings of an adapter that talks to this stub: no auth, no SDK retries, no SDK log. */
  get sdkConfig(): Record<string, string | number> {
    return {
      ZEEBE_REST_ADDRESS: this.url,
      CAMUNDA_AUTH_STRATEGY: 'NONE',
      CAMUNDA_SDK_HTTP_RETRY_MAX_ATTEMPTS: 1,
      CAMUNDA_LOG_LEVEL: 'none',
    };
  }

  /** Listens on 127.0.0.1, on a free port unless one is given. */
  static async start(port = 0): Promise<Camunda8RestStub> {
    const stub: { current?: Camunda8RestStub } = {};
    const server = createServer((req, res) => void stub.current!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const address = server.address() as AddressInfo;
    stub.current = new Camunda8RestStub(server, `http://127.0.0.1:${address.port}`);
    return stub.current;
  }

  async close(): Promise<void> {
    this.wakeUp.emit('close');
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Jobs in creation order. */
  jobs(): StubJob[] {
    return [...this.jobList];
  }

  userTasks(): StubUserTask[] {
    return [...this.tasks.values()];
  }

  userTask(key: string): StubUserTask | undefined {
    return this.tasks.get(key);
  }

  instanceState(key: string): StubInstance['state'] | undefined {
    return this.instances.get(key)?.state;
  }

  instanceVariables(key: string): Variables | undefined {
    return this.instances.get(key)?.variables;
  }

  /** Resolves when `predicate` holds, checked after every request the stub answers. */
  async until(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    if (predicate()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.wakeUp.off('change', check);
        reject(new Error(`Camunda 8 stub: timed out waiting for ${what}`));
      }, timeoutMs);
      const check = () => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.wakeUp.off('change', check);
        resolve();
      };
      this.wakeUp.on('change', check);
    });
  }

  /**
   * Deploys a resource as it is, without going through the adapter (so without Eddy's listeners), and
   * starts an instance of it: its tasks are never reported to Eddy, as when a listener was missing.
   */
  async startUnlistened(xml: string, processId: string, variables: Variables = {}): Promise<string> {
    await this.deploy(xml, `${processId}.bpmn`);
    return this.createInstance(processId, variables).key;
  }

  /** Completes a user task in the stub with none of its listeners, as if Eddy had never been told. */
  completeUnlistened(userTaskKey: string): void {
    const task = this.tasks.get(userTaskKey);
    if (!task) throw new Error(`Camunda 8 stub: no user task ${userTaskKey}`);
    task.state = 'COMPLETED';
    task.completionDate = new Date().toISOString();
    for (const job of this.jobList)
      if (job.userTaskKey === userTaskKey && job.state !== 'COMPLETED') job.state = 'CANCELED';
    const instance = this.instances.get(task.processInstanceKey)!;
    this.advance(instance, task.elementId);
    this.changed();
  }

  private key(): string {
    return String(this.nextKey++);
  }

  private changed(): void {
    this.wakeUp.emit('change');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const path = url.pathname.replace(/^\/v2/, '');
    this.requests.push(`${req.method} ${path}`);
    const { traceparent } = req.headers;
    if (typeof traceparent === 'string')
      this.tracedRequests.push({ request: `${req.method} ${path}`, traceparent });
    try {
      const raw = await new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => resolve(Buffer.concat(chunks)));
        req.on('error', reject);
      });
      const result = await this.route(req, path, raw, res);
      if (result === undefined) {
        res.writeHead(204).end();
      } else if (typeof result === 'string') {
        res.writeHead(200, { 'content-type': 'text/xml' }).end(result);
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
      }
    } catch (error) {
      const problem =
        error instanceof ProblemError ? error : new ProblemError(500, 'INTERNAL', (error as Error).message);
      res.writeHead(problem.status, { 'content-type': 'application/problem+json' }).end(
        JSON.stringify({
          type: 'about:blank',
          title: problem.title,
          status: problem.status,
          detail: problem.message,
          instance: path,
        }),
      );
    } finally {
      this.changed();
    }
  }

  private async route(
    req: IncomingMessage,
    path: string,
    raw: Buffer,
    res: ServerResponse,
  ): Promise<unknown> {
    const method = req.method ?? 'GET';
    const json = (): Record<string, unknown> =>
      raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
    let m: RegExpMatchArray | null;
    if (method === 'GET' && path === '/topology') {
      return {
        brokers: [],
        clusterSize: 1,
        partitionsCount: 1,
        replicationFactor: 1,
        gatewayVersion: '8.8.0-stub',
      };
    }
    if (method === 'POST' && path === '/deployments') return this.deployment(req, raw);
    if (method === 'POST' && path === '/process-definitions/search') return this.searchDefinitions();
    if (method === 'GET' && (m = path.match(/^\/process-definitions\/(\d+)\/xml$/))) {
      return this.definitionByKey(m[1]).xml;
    }
    if (method === 'POST' && path === '/process-instances') {
      const body = json();
      const instance = this.createInstance(
        String(body['processDefinitionId'] ?? ''),
        (body['variables'] as Variables) ?? {},
      );
      return {
        processDefinitionId: instance.definition.processId,
        processDefinitionVersion: instance.definition.version,
        processDefinitionKey: instance.definition.key,
        processInstanceKey: instance.key,
        tenantId: '<default>',
        variables: {},
      };
    }
    if (method === 'GET' && (m = path.match(/^\/process-instances\/(\d+)$/))) {
      const instance = this.instances.get(m[1]);
      if (!instance)
        throw new ProblemError(404, 'NOT_FOUND', `Process instance with key '${m[1]}' not found`);
      return {
        processInstanceKey: instance.key,
        processDefinitionId: instance.definition.processId,
        processDefinitionKey: instance.definition.key,
        processDefinitionName: instance.definition.name,
        processDefinitionVersion: instance.definition.version,
        state: instance.state,
        startDate: instance.startDate,
        endDate: instance.endDate,
        hasIncident: false,
        tenantId: '<default>',
      };
    }
    if (method === 'POST' && (m = path.match(/^\/process-instances\/(\d+)\/cancellation$/))) {
      this.cancelInstance(m[1]);
      return undefined;
    }
    if (method === 'POST' && path === '/jobs/activation') return this.activate(json(), res);
    if (method === 'POST' && (m = path.match(/^\/jobs\/(\d+)\/completion$/))) {
      const job = this.activatedJob(m[1]);
      job.state = 'COMPLETED';
      job.onComplete();
      return undefined;
    }
    if (method === 'POST' && (m = path.match(/^\/jobs\/(\d+)\/failure$/))) {
      const body = json();
      const job = this.activatedJob(m[1]);
      job.retries = typeof body['retries'] === 'number' ? body['retries'] : job.retries - 1;
      job.errorMessage = typeof body['errorMessage'] === 'string' ? body['errorMessage'] : null;
      job.state = job.retries > 0 ? 'ACTIVATABLE' : 'INCIDENT';
      job.availableAt = Date.now() + (typeof body['retryBackOff'] === 'number' ? body['retryBackOff'] : 0);
      return undefined;
    }
    if (method === 'POST' && path === '/user-tasks/search') return this.searchUserTasks(json());
    if (method === 'GET' && (m = path.match(/^\/user-tasks\/(\d+)$/))) return this.openOrClosedTask(m[1]);
    if (method === 'POST' && (m = path.match(/^\/user-tasks\/(\d+)\/variables\/search$/))) {
      const task = this.openOrClosedTask(m[1]);
      const variables = this.instances.get(task.processInstanceKey)?.variables ?? {};
      return {
        items: Object.entries(variables).map(([name, value]) => ({
          name,
          value: JSON.stringify(value),
          isTruncated: false,
          processInstanceKey: task.processInstanceKey,
          scopeKey: task.processInstanceKey,
          tenantId: '<default>',
          variableKey: `${task.processInstanceKey}-${name}`,
        })),
        page: { totalItems: Object.keys(variables).length },
      };
    }
    if (method === 'POST' && (m = path.match(/^\/user-tasks\/(\d+)\/assignment$/))) {
      const body = json();
      const assignee = String(body['assignee'] ?? '');
      await this.transition(
        this.openTask(m[1]),
        'ASSIGNING',
        'assigning',
        { assignee },
        (t) => (t.assignee = assignee || null),
      );
      return undefined;
    }
    if (method === 'DELETE' && (m = path.match(/^\/user-tasks\/(\d+)\/assignee$/))) {
      await this.transition(
        this.openTask(m[1]),
        'ASSIGNING',
        'assigning',
        { assignee: '' },
        (t) => (t.assignee = null),
      );
      return undefined;
    }
    if (method === 'PATCH' && (m = path.match(/^\/user-tasks\/(\d+)$/))) {
      const changeset = (json()['changeset'] as Record<string, unknown> | undefined) ?? {};
      const changedAttributes = Object.keys(changeset);
      await this.transition(
        this.openTask(m[1]),
        'UPDATING',
        'updating',
        { ...changeset, changedAttributes },
        (t) => {
          if ('followUpDate' in changeset) t.followUpDate = (changeset['followUpDate'] as string) || null;
          if ('dueDate' in changeset) t.dueDate = (changeset['dueDate'] as string) || null;
          if (typeof changeset['priority'] === 'number') t.priority = changeset['priority'];
          if (Array.isArray(changeset['candidateUsers']))
            t.candidateUsers = changeset['candidateUsers'].map(String);
          if (Array.isArray(changeset['candidateGroups']))
            t.candidateGroups = changeset['candidateGroups'].map(String);
        },
      );
      return undefined;
    }
    if (method === 'POST' && (m = path.match(/^\/user-tasks\/(\d+)\/completion$/))) {
      await this.completeTask(this.openTask(m[1]), (json()['variables'] as Variables | null) ?? {});
      return undefined;
    }
    if (method === 'POST' && path === '/messages/publication') return this.publish(json());
    if (method === 'POST' && path === '/messages/correlation') return this.correlate(json());
    if (method === 'POST' && path === '/signals/broadcast') {
      const body = json();
      this.signals.push({
        signalName: String(body['signalName'] ?? ''),
        variables: (body['variables'] as Variables | undefined) ?? {},
      });
      return { signalKey: this.key(), tenantId: '<default>' };
    }
    throw new ProblemError(404, 'NOT_FOUND', `the Camunda 8 stub does not serve ${method} ${path}`);
  }

  private async deployment(req: IncomingMessage, raw: Buffer): Promise<unknown> {
    const form = await new Request('http://stub/deployments', {
      method: 'POST',
      headers: { 'content-type': String(req.headers['content-type'] ?? '') },
      body: raw,
    }).formData();
    const deployed: Record<string, unknown>[] = [];
    for (const entry of form.getAll('resources')) {
      if (typeof entry === 'string')
        throw new ProblemError(400, 'INVALID_ARGUMENT', 'resources: a file is required');
      for (const d of await this.deploy(await entry.text(), entry.name)) {
        deployed.push({
          processDefinition: {
            processDefinitionId: d.processId,
            processDefinitionVersion: d.version,
            resourceName: d.resourceName,
            tenantId: '<default>',
            processDefinitionKey: d.key,
          },
        });
      }
    }
    return { deploymentKey: this.key(), tenantId: '<default>', deployments: deployed };
  }

  private async deploy(xml: string, resourceName: string): Promise<StubDefinition[]> {
    // Decisions are kept by Camunda for business rule tasks; the stub runs none.
    if (resourceName.endsWith('.dmn')) return [];
    let read: Awaited<ReturnType<typeof readDefinitions>>;
    try {
      read = await readDefinitions(xml, resourceName);
    } catch (error) {
      throw new ProblemError(
        400,
        'INVALID_ARGUMENT',
        `Command 'CREATE' rejected with code 'INVALID_ARGUMENT': Expected to deploy new resources, but encountered the following errors:\n'${resourceName}':\n${(error as Error).message}`,
      );
    }
    return read.map((r) => {
      const versions = this.definitions.filter((d) => d.processId === r.processId);
      const latest = versions[versions.length - 1];
      if (latest && latest.xml === xml) return latest;
      const definition: StubDefinition = { ...r, key: this.key(), version: versions.length + 1 };
      this.definitions.push(definition);
      return definition;
    });
  }

  private latest(): StubDefinition[] {
    const byId = new Map<string, StubDefinition>();
    for (const d of this.definitions) byId.set(d.processId, d);
    return [...byId.values()];
  }

  private searchDefinitions(): unknown {
    const items = this.latest().map((d) => ({
      processDefinitionKey: d.key,
      processDefinitionId: d.processId,
      name: d.name,
      version: d.version,
      versionTag: d.versionTag,
      resourceName: d.resourceName,
      tenantId: '<default>',
    }));
    return { items, page: { totalItems: items.length } };
  }

  private definitionByKey(key: string): StubDefinition {
    const d = this.definitions.find((x) => x.key === key);
    if (!d) throw new ProblemError(404, 'NOT_FOUND', `Process definition with key '${key}' not found`);
    return d;
  }

  private createInstance(processId: string, variables: Variables): StubInstance {
    const definition = this.latest().find((d) => d.processId === processId);
    if (!definition) {
      throw new ProblemError(
        404,
        'NOT_FOUND',
        `Expected to find process definition with process ID '${processId}', but none found`,
      );
    }
    if (!definition.startEventId)
      throw new ProblemError(400, 'INVALID_ARGUMENT', `${processId} has no none start event`);
    const instance: StubInstance = {
      key: this.key(),
      definition,
      variables: { ...variables },
      state: 'ACTIVE',
      startDate: new Date().toISOString(),
      endDate: null,
      elementInstanceKey: '',
      waitingFor: null,
    };
    instance.elementInstanceKey = instance.key;
    this.instances.set(instance.key, instance);
    this.runListeners(
      definition.executionListeners.filter((l) => l.eventType === 'start'),
      (listener, onComplete) =>
        this.job(
          instance,
          listener,
          'EXECUTION_LISTENER',
          'START',
          definition.processId,
          instance.key,
          null,
          onComplete,
        ),
      () => this.advance(instance, definition.startEventId!),
    );
    return instance;
  }

  private advance(instance: StubInstance, fromId: string): void {
    if (instance.state !== 'ACTIVE') return;
    const next = instance.definition.elements.get(fromId)?.outgoing[0];
    const element = next ? instance.definition.elements.get(next) : undefined;
    if (!element || element.type === 'bpmn:EndEvent') {
      this.runListeners(
        instance.definition.executionListeners.filter((l) => l.eventType === 'end'),
        (listener, onComplete) =>
          this.job(
            instance,
            listener,
            'EXECUTION_LISTENER',
            'END',
            instance.definition.processId,
            instance.key,
            null,
            onComplete,
          ),
        () => {
          instance.state = 'COMPLETED';
          instance.endDate = new Date().toISOString();
        },
      );
      return;
    }
    if (element.type === 'bpmn:UserTask' && element.isZeebeUserTask) {
      this.createTask(instance, element);
      return;
    }
    if (element.type === 'bpmn:IntermediateCatchEvent' && element.messageName) {
      const correlationKey = String(evaluate(element.correlationKey, instance.variables) ?? '');
      instance.waitingFor = { elementId: element.id, messageName: element.messageName, correlationKey };
      const now = Date.now();
      const buffered = this.messages.findIndex(
        (msg) =>
          msg.name === element.messageName && msg.correlationKey === correlationKey && msg.expiresAt > now,
      );
      if (buffered >= 0) {
        const [msg] = this.messages.splice(buffered, 1);
        this.receive(instance, msg.variables);
      }
      return;
    }
    this.advance(instance, element.id);
  }

  private createTask(instance: StubInstance, element: StubElement): void {
    const v = instance.variables;
    const task: StubUserTask = {
      userTaskKey: this.key(),
      elementId: element.id,
      elementInstanceKey: this.key(),
      name: element.name,
      state: 'CREATING',
      assignee: null,
      candidateUsers: list(evaluate(element.candidateUsers, v)),
      candidateGroups: list(evaluate(element.candidateGroups, v)),
      priority: Number(evaluate(element.priority, v) ?? 50),
      dueDate: (evaluate(element.dueDate, v) as string | undefined) ?? null,
      followUpDate: (evaluate(element.followUpDate, v) as string | undefined) ?? null,
      formKey: element.formKey ?? null,
      creationDate: new Date().toISOString(),
      completionDate: null,
      processInstanceKey: instance.key,
      processDefinitionKey: instance.definition.key,
      processDefinitionId: instance.definition.processId,
      processDefinitionVersion: instance.definition.version,
      processName: instance.definition.name,
    };
    this.tasks.set(task.userTaskKey, task);
    const assignee = evaluate(element.assignee, v);
    this.runTaskListeners(task, 'creating', {}, () => {
      task.state = 'CREATED';
      // As in Camunda 8.8: the modelled assignee is assigned once the task is created.
      if (typeof assignee === 'string' && assignee !== '') {
        void this.transition(task, 'ASSIGNING', 'assigning', { assignee }, (t) => (t.assignee = assignee));
      }
    });
  }

  private transition(
    task: StubUserTask,
    state: string,
    eventType: string,
    changes: Record<string, unknown>,
    apply: (task: StubUserTask) => void,
  ): Promise<void> {
    if (task.state !== 'CREATED') {
      throw new ProblemError(
        409,
        'INVALID_STATE',
        `User task ${task.userTaskKey} is ${task.state}, not CREATED`,
      );
    }
    task.state = state;
    // As Camunda 8.8 does, the request is answered once the transition's listeners have completed.
    return new Promise((resolve) =>
      this.runTaskListeners(task, eventType, changes, () => {
        apply(task);
        task.state = 'CREATED';
        resolve();
      }),
    );
  }

  private completeTask(task: StubUserTask, variables: Variables): Promise<void> {
    if (task.state !== 'CREATED') {
      throw new ProblemError(
        409,
        'INVALID_STATE',
        `User task ${task.userTaskKey} is ${task.state}, not CREATED`,
      );
    }
    task.state = 'COMPLETING';
    return new Promise((resolve) =>
      this.runTaskListeners(
        task,
        'completing',
        {},
        () => {
          const instance = this.instances.get(task.processInstanceKey)!;
          Object.assign(instance.variables, variables);
          task.state = 'COMPLETED';
          task.completionDate = new Date().toISOString();
          this.advance(instance, task.elementId);
          resolve();
        },
        variables,
      ),
    );
  }

  private cancelInstance(key: string): void {
    const instance = this.instances.get(key);
    if (!instance || instance.state !== 'ACTIVE') {
      throw new ProblemError(
        404,
        'NOT_FOUND',
        `Expected to cancel a process instance with key '${key}', but no such process instance was found`,
      );
    }
    instance.state = 'TERMINATED';
    instance.endDate = new Date().toISOString();
    instance.waitingFor = null;
    for (const task of this.tasks.values()) {
      if (task.processInstanceKey !== key || task.state === 'COMPLETED' || task.state === 'CANCELED')
        continue;
      for (const job of this.jobList)
        if (job.userTaskKey === task.userTaskKey && job.state !== 'COMPLETED') job.state = 'CANCELED';
      task.state = 'CANCELING';
      this.runTaskListeners(task, 'canceling', {}, () => {
        task.state = 'CANCELED';
        task.completionDate = new Date().toISOString();
      });
    }
  }

  private runTaskListeners(
    task: StubUserTask,
    eventType: string,
    changes: Record<string, unknown>,
    done: () => void,
    extraVariables: Variables = {},
  ): void {
    const instance = this.instances.get(task.processInstanceKey)!;
    const element = instance.definition.elements.get(task.elementId)!;
    this.runListeners(
      element.taskListeners.filter((l) => l.eventType === eventType),
      (listener, onComplete) => {
        const job = this.job(
          instance,
          listener,
          'TASK_LISTENER',
          eventType.toUpperCase(),
          task.elementId,
          task.elementInstanceKey,
          task.userTaskKey,
          onComplete,
        );
        job.variables = { ...instance.variables, ...extraVariables };
        job.userTask = {
          userTaskKey: task.userTaskKey,
          assignee: task.assignee ?? '',
          candidateUsers: task.candidateUsers,
          candidateGroups: task.candidateGroups,
          dueDate: task.dueDate ?? '',
          followUpDate: task.followUpDate ?? '',
          formKey: task.formKey,
          priority: task.priority,
          changedAttributes: [],
          action: eventType === 'creating' || eventType === 'canceling' ? '' : eventType.replace(/ing$/, ''),
          ...changes,
        };
        return job;
      },
      done,
    );
  }

  private runListeners(
    listeners: Listener[],
    makeJob: (listener: Listener, onComplete: () => void) => StubJob,
    done: () => void,
  ): void {
    const [first, ...rest] = listeners;
    if (!first) {
      done();
      return;
    }
    makeJob(first, () => this.runListeners(rest, makeJob, done));
  }

  private job(
    instance: StubInstance,
    listener: Listener,
    kind: StubJob['kind'],
    listenerEventType: string,
    elementId: string,
    elementInstanceKey: string,
    userTaskKey: string | null,
    onComplete: () => void,
  ): StubJob {
    const job: StubJob = {
      jobKey: this.key(),
      type: listener.type,
      kind,
      listenerEventType,
      state: 'ACTIVATABLE',
      retries: listener.retries,
      errorMessage: null,
      activations: 0,
      processInstanceKey: instance.key,
      elementId,
      elementInstanceKey,
      userTaskKey,
      availableAt: 0,
      deadline: 0,
      variables: { ...instance.variables },
      userTask: null,
      definition: instance.definition,
      onComplete,
    };
    this.jobList.push(job);
    setImmediate(() => this.wakeUp.emit('job'));
    return job;
  }

  private activatedJob(key: string): StubJob {
    const job = this.jobList.find((j) => j.jobKey === key);
    if (!job)
      throw new ProblemError(
        404,
        'NOT_FOUND',
        `Expected to find job with key '${key}', but no such job was found`,
      );
    if (job.state !== 'ACTIVATED') {
      throw new ProblemError(
        409,
        'INVALID_STATE',
        `Expected job with key '${key}' to be activated, but it is ${job.state}`,
      );
    }
    return job;
  }

  /** Long polling as the gateway does it: jobs are handed out only to a client still waiting for them. */
  private async activate(body: Record<string, unknown>, res: ServerResponse): Promise<unknown> {
    const type = String(body['type'] ?? '');
    const max = Number(body['maxJobsToActivate'] ?? 1);
    const timeout = Number(body['timeout'] ?? 30_000);
    const requestTimeout = Number(body['requestTimeout'] ?? 0);
    const take = (): StubJob[] => {
      const now = Date.now();
      const ready = this.jobList.filter(
        (j) =>
          j.type === type &&
          ((j.state === 'ACTIVATABLE' && j.availableAt <= now) ||
            (j.state === 'ACTIVATED' && j.deadline <= now)),
      );
      return ready.slice(0, max);
    };
    let jobs = take();
    if (jobs.length === 0 && requestTimeout >= 0) {
      await new Promise<void>((resolve) => {
        const finish = () => {
          clearTimeout(timer);
          clearInterval(poll);
          this.wakeUp.off('job', check);
          this.wakeUp.off('close', finish);
          resolve();
        };
        const check = () => {
          if (take().length > 0) finish();
        };
        const timer = setTimeout(finish, requestTimeout > 0 ? requestTimeout : 10_000);
        // Back-offs and timed-out activations become ready by time alone.
        const poll = setInterval(check, 50);
        this.wakeUp.on('job', check);
        this.wakeUp.on('close', finish);
        res.once('close', finish);
      });
      jobs = res.destroyed || res.writableEnded ? [] : take();
    }
    const now = Date.now();
    return {
      jobs: jobs.map((job) => {
        job.state = 'ACTIVATED';
        job.deadline = now + timeout;
        job.activations++;
        return {
          type: job.type,
          processDefinitionId: job.definition.processId,
          processDefinitionVersion: job.definition.version,
          elementId: job.elementId,
          customHeaders: {},
          worker: String(body['worker'] ?? ''),
          retries: job.retries,
          deadline: job.deadline,
          variables: job.variables,
          tenantId: '<default>',
          jobKey: job.jobKey,
          processInstanceKey: job.processInstanceKey,
          processDefinitionKey: job.definition.key,
          elementInstanceKey: job.elementInstanceKey,
          kind: job.kind,
          listenerEventType: job.listenerEventType,
          ...(job.userTask ? { userTask: job.userTask } : {}),
        };
      }),
    };
  }

  private openTask(key: string): StubUserTask {
    const task = this.tasks.get(key);
    if (!task || task.state === 'COMPLETED' || task.state === 'CANCELED') {
      throw new ProblemError(
        404,
        'NOT_FOUND',
        `Expected to find an active user task with key '${key}', but none was found`,
      );
    }
    return task;
  }

  private openOrClosedTask(key: string): StubUserTask {
    const task = this.tasks.get(key);
    if (!task) throw new ProblemError(404, 'NOT_FOUND', `User task with key '${key}' not found`);
    return task;
  }

  private searchUserTasks(body: Record<string, unknown>): unknown {
    const filter = (body['filter'] as Record<string, unknown> | undefined) ?? {};
    const state = filter['state'];
    const states =
      typeof state === 'string'
        ? [state]
        : state && typeof state === 'object'
          ? ((state as { $in?: string[]; $eq?: string }).$in ?? [(state as { $eq?: string }).$eq ?? ''])
          : null;
    const page = (body['page'] as { limit?: number; after?: string } | undefined) ?? {};
    const limit = page.limit ?? 100;
    const all = [...this.tasks.values()].filter((t) => !states || states.includes(t.state));
    const start = page.after ? all.findIndex((t) => t.userTaskKey === page.after) + 1 : 0;
    const items = all.slice(start, start + limit);
    return {
      items: items.map((t) => ({ ...t, tenantId: '<default>', customHeaders: {} })),
      page: {
        totalItems: all.length,
        startCursor: items[0]?.userTaskKey ?? null,
        endCursor: items[items.length - 1]?.userTaskKey ?? null,
      },
    };
  }

  private receive(instance: StubInstance, variables: Variables): void {
    const waiting = instance.waitingFor!;
    instance.waitingFor = null;
    Object.assign(instance.variables, variables);
    this.advance(instance, waiting.elementId);
  }

  private waitingInstances(name: string, correlationKey: string): StubInstance[] {
    return [...this.instances.values()].filter(
      (i) =>
        i.state === 'ACTIVE' &&
        i.waitingFor?.messageName === name &&
        i.waitingFor.correlationKey === correlationKey,
    );
  }

  private publish(body: Record<string, unknown>): unknown {
    const name = String(body['name'] ?? '');
    const correlationKey = String(body['correlationKey'] ?? '');
    const ttl = Number(body['timeToLive'] ?? 0);
    const messageId = typeof body['messageId'] === 'string' ? body['messageId'] : null;
    const now = Date.now();
    if (messageId) {
      const expiresAt = this.messageIds.get(messageId);
      if (expiresAt !== undefined && expiresAt > now) {
        throw new ProblemError(
          409,
          'ALREADY_EXISTS',
          `Expected to publish a new message with id '${messageId}', but a message with that id was already published`,
        );
      }
      this.messageIds.set(messageId, now + ttl);
    }
    const variables = (body['variables'] as Variables | undefined) ?? {};
    const waiting = this.waitingInstances(name, correlationKey);
    for (const instance of waiting) this.receive(instance, variables);
    if (waiting.length === 0 && ttl > 0)
      this.messages.push({ name, correlationKey, variables, expiresAt: now + ttl });
    return { messageKey: this.key(), tenantId: '<default>' };
  }

  private correlate(body: Record<string, unknown>): unknown {
    const name = String(body['name'] ?? '');
    const correlationKey = String(body['correlationKey'] ?? '');
    const [instance] = this.waitingInstances(name, correlationKey);
    if (!instance) {
      throw new ProblemError(
        404,
        'NOT_FOUND',
        `Expected to find subscription for message with name '${name}' and correlation key '${correlationKey}', but none was found`,
      );
    }
    this.receive(instance, (body['variables'] as Variables | undefined) ?? {});
    return { messageKey: this.key(), processInstanceKey: instance.key, tenantId: '<default>' };
  }
}
