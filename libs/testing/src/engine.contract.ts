import { randomUUID } from 'node:crypto';
import { EngineError } from '@eddy/collector/engine/engine.errors';
import {
  type CorrelateMessageRequest,
  type EngineEvent,
  type EngineTask,
  type EngineTransaction,
  type ProcessEngine,
  type Variables,
} from '@eddy/collector/engine/engine.port';
import { afterEach, describe, expect, it } from '@jest/globals';
import { PAYMENT_PROCESS, REVIEW_PROCESS, UNRUNNABLE_PROCESS } from './engine.contract.bpmn';

export { PAYMENT_PROCESS, REVIEW_PROCESS, UNRUNNABLE_PROCESS } from './engine.contract.bpmn';

/** How the contract suite gets engines of the adapter under test. */
export interface ProcessEngineContractFactory {
  /**
   * An engine to test. It may hold definitions and instances of earlier tests (a real cluster does): the
   * suite tells its own instances apart by id and uses fresh correlation keys. It must redeliver a rejected
   * transaction within a few seconds.
   */
  create(): Promise<ProcessEngine>;
  /**
   * Closes `engine` and opens the same engine again on what it stored, as after a restart of Eddy. Omit
   * for adapters that keep nothing across a restart.
   */
  restart?(engine: ProcessEngine): Promise<ProcessEngine>;
  /**
   * Moves the engine's clock forward, for the end of a message's time to live. Omit when the adapter's
   * clock cannot be driven (those tests are then not registered).
   */
  advanceClock?(engine: ProcessEngine, ms: number): void;
  /** Releases an engine after a test. Default `close()`. */
  dispose?(engine: ProcessEngine): Promise<void>;
  /** How long to wait for a transaction before a test fails. Default 10 s. */
  waitTimeoutMs?: number;
}

/**
 * The behaviour every process engine adapter must have, as the collector relies on it. Call it from an
 * adapter's spec: `processEngineContract('embedded', { create, restart })`.
 */
export function processEngineContract(name: string, factory: ProcessEngineContractFactory): void {
  describe(`process engine contract: ${name}`, () => {
    let engines: ProcessEngine[] = [];
    const timeoutMs = factory.waitTimeoutMs ?? 10_000;

    /** An engine, with a log receiving its transactions unless `attach` is false. */
    const fresh = async (attach = true): Promise<{ engine: ProcessEngine; log: TransactionLog }> => {
      const engine = await factory.create();
      engines.push(engine);
      const log = new TransactionLog(timeoutMs);
      if (attach) log.attach(engine);
      return { engine, log };
    };

    afterEach(async () => {
      for (const engine of engines.splice(0).reverse()) {
        await (factory.dispose ? factory.dispose(engine) : engine.close()).catch(() => undefined);
      }
      engines = [];
    });

    const startReview = async (engine: ProcessEngine, variables: Variables = {}) => {
      await engine.deploy({ xml: REVIEW_PROCESS.xml, resourceName: REVIEW_PROCESS.resourceName });
      const businessKey = `BK-${randomUUID()}`;
      const started = await engine.startProcessInstance({
        definitionKey: REVIEW_PROCESS.key,
        businessKey,
        variables: { submitter: 'sue', amount: 1200, ...variables },
      });
      return { ...started, businessKey };
    };

    /** Sends the payment message of an order. */
    const pay = (
      engine: ProcessEngine,
      orderId: string,
      paidAmount: number,
      extra: Partial<CorrelateMessageRequest> = {},
    ) =>
      engine.correlateMessage({
        name: PAYMENT_PROCESS.messageName,
        correlationKey: orderId,
        variables: { paidAmount },
        ...extra,
      });

    describe('deployment', () => {
      it('deploys a process and lists its latest version; the same XML again keeps the version', async () => {
        const { engine } = await fresh();
        const [deployed] = await engine.deploy({
          xml: REVIEW_PROCESS.xml,
          resourceName: REVIEW_PROCESS.resourceName,
        });
        expect(deployed).toMatchObject({ key: REVIEW_PROCESS.key, name: 'Contract review' });
        expect(deployed.version).toBeGreaterThanOrEqual(1);
        const [again] = await engine.deploy({
          xml: REVIEW_PROCESS.xml,
          resourceName: REVIEW_PROCESS.resourceName,
        });
        expect(again).toMatchObject({ id: deployed.id, version: deployed.version });
        const listed = await engine.listProcessDefinitions();
        expect(listed.find((d) => d.key === REVIEW_PROCESS.key)).toMatchObject({ id: deployed.id });
      });

      it('rejects a process with an element it cannot run, naming the element', async () => {
        const { engine } = await fresh();
        const error = await engine
          .deploy({ xml: UNRUNNABLE_PROCESS.xml, resourceName: UNRUNNABLE_PROCESS.resourceName })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(EngineError);
        expect(error).toMatchObject({ code: 'UNSUPPORTED_ELEMENT' });
        expect((error as EngineError).details.map((d) => d.elementId)).toContain(
          UNRUNNABLE_PROCESS.unrunnableElementId,
        );
        expect((error as EngineError).message).toContain(UNRUNNABLE_PROCESS.unrunnableElementId);
      });

      it('rejects a FEEL expression that does not parse, naming the element', async () => {
        const { engine } = await fresh();
        const xml = REVIEW_PROCESS.xml.replace('assignee="=submitter"', 'assignee="=submitter +"');
        expect(xml).not.toBe(REVIEW_PROCESS.xml);
        const error = await engine
          .deploy({ xml, resourceName: REVIEW_PROCESS.resourceName })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(EngineError);
        expect(error).toMatchObject({ code: 'UNSUPPORTED_ELEMENT' });
        expect((error as EngineError).details.map((d) => d.elementId)).toEqual(['Review']);
      });

      it('refuses to start a process that was never deployed', async () => {
        const { engine } = await fresh();
        await expect(
          engine.startProcessInstance({ definitionKey: `never-deployed-${randomUUID()}` }),
        ).rejects.toMatchObject({ code: 'UNKNOWN_PROCESS_DEFINITION' });
      });
    });

    describe('user task lifecycle', () => {
      it('starts an instance with its variables and business key; its first task sees the variables', async () => {
        const { engine, log } = await fresh();
        const { instanceId, businessKey } = await startReview(engine, { note: 'urgent' });

        const started = await log.event(instanceId, 'processInstance.started');
        expect(started.instance).toMatchObject({
          id: instanceId,
          processDefinitionKey: REVIEW_PROCESS.key,
          businessKey,
        });
        expect(started.variables).toMatchObject({ submitter: 'sue', amount: 1200, note: 'urgent' });

        const { event: created, tx } = await log.taskEvent(instanceId, 'task.created', 'Review');
        expect(created.task).toMatchObject({
          name: 'Review',
          taskDefinitionKey: 'Review',
          processInstanceId: instanceId,
          processDefinitionKey: REVIEW_PROCESS.key,
          businessKey,
          assignee: 'sue',
          candidateGroups: ['reviewers'],
          priority: 70,
          formKey: 'forms/review',
        });
        expect(tx.variables[created.task.id]).toMatchObject({
          submitter: 'sue',
          amount: 1200,
          note: 'urgent',
        });
        expect(log.indexOf(started)).toBeLessThan(log.indexOf(created));
      });

      it('assigns and unassigns a task', async () => {
        const { engine, log } = await fresh();
        const { instanceId } = await startReview(engine);
        const task = await log.task(instanceId, 'Review');

        await engine.assignTask(task.id, 'alice');
        const assigned = await log.taskEvent(
          instanceId,
          'task.assigned',
          'Review',
          (e) => e.assignee === 'alice',
        );
        expect(assigned.event.task).toMatchObject({ id: task.id, assignee: 'alice' });

        await engine.assignTask(task.id, null);
        const unassigned = await log.taskEvent(
          instanceId,
          'task.assigned',
          'Review',
          (e) => e.assignee === null,
        );
        expect(unassigned.event.task).toMatchObject({ id: task.id, assignee: null });
      });

      it('sets and removes the follow-up date of a task', async () => {
        const { engine, log } = await fresh();
        const { instanceId } = await startReview(engine);
        const task = await log.task(instanceId, 'Review');
        const followUp = '2031-05-04T08:00:00.000Z';

        await engine.setTaskFollowUpDate(task.id, followUp);
        const set = await log.taskEvent(
          instanceId,
          'task.attributesChanged',
          'Review',
          (e) => e.task.followUpDate !== null,
        );
        expect(set.event.changed).toContain('followUpDate');
        expect(Date.parse(set.event.task.followUpDate!)).toBe(Date.parse(followUp));

        await engine.setTaskFollowUpDate(task.id, null);
        const removed = await log.taskEvent(
          instanceId,
          'task.attributesChanged',
          'Review',
          (e) => e.task.followUpDate === null,
        );
        expect(removed.event.changed).toContain('followUpDate');
      });

      it('updates priority, due and follow-up date of a task in one step, and removes a date', async () => {
        const { engine, log } = await fresh();
        const { instanceId } = await startReview(engine);
        const task = await log.task(instanceId, 'Review');
        const due = '2031-06-01T17:00:00.000Z';

        await engine.updateTask(task.id, {
          priority: 90,
          dueDate: due,
          followUpDate: '2031-05-20T08:00:00Z',
        });
        const updated = await log.taskEvent(
          instanceId,
          'task.attributesChanged',
          'Review',
          (e) => e.task.priority === 90,
        );
        expect([...updated.event.changed].sort()).toEqual(['dueDate', 'followUpDate', 'priority']);
        expect(Date.parse(updated.event.task.dueDate!)).toBe(Date.parse(due));
        expect(Date.parse(updated.event.task.followUpDate!)).toBe(Date.parse('2031-05-20T08:00:00Z'));

        await engine.updateTask(task.id, { dueDate: null });
        const removed = await log.taskEvent(
          instanceId,
          'task.attributesChanged',
          'Review',
          (e) => e.task.dueDate === null,
        );
        expect(removed.event.changed).toEqual(['dueDate']);
        expect(removed.event.task).toMatchObject({ priority: 90, followUpDate: expect.any(String) });

        await expect(engine.updateTask(task.id, { priority: 101 })).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
          message: expect.stringContaining('priority'),
        });
        await expect(engine.updateTask(task.id, { dueDate: 'soon' })).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
          message: expect.stringContaining('dueDate'),
        });
        await expect(
          engine.updateTask(`no-such-task-${randomUUID()}`, { priority: 10 }),
        ).rejects.toMatchObject({ code: 'UNKNOWN_TASK' });
      });

      it('completes a task with variables; the next task sees them', async () => {
        const { engine, log } = await fresh();
        const { instanceId } = await startReview(engine);
        const review = await log.task(instanceId, 'Review');

        await engine.completeTask(review.id, { approved: true, comment: 'fine' });
        const completed = await log.taskEvent(instanceId, 'task.completed', 'Review');
        expect(completed.event.task.id).toBe(review.id);
        expect(completed.event.variables).toMatchObject({ approved: true, comment: 'fine' });

        const next = await log.taskEvent(instanceId, 'task.created', 'Approve');
        expect(next.event.task.candidateGroups).toEqual(['approvers']);
        expect(next.tx.variables[next.event.task.id]).toMatchObject({
          submitter: 'sue',
          approved: true,
          comment: 'fine',
        });
        expect(log.indexOf(completed.event)).toBeLessThan(log.indexOf(next.event));

        await expect(engine.completeTask(review.id)).rejects.toMatchObject({ code: 'UNKNOWN_TASK' });
        await engine.completeTask(next.event.task.id);
        await log.event(instanceId, 'processInstance.finished');
      });

      it('refuses actions on a task that does not exist, and bad arguments naming the field', async () => {
        const { engine, log } = await fresh();
        const { instanceId } = await startReview(engine);
        const task = await log.task(instanceId, 'Review');
        await expect(engine.completeTask(`no-such-task-${randomUUID()}`)).rejects.toMatchObject({
          code: 'UNKNOWN_TASK',
        });
        await expect(engine.setTaskFollowUpDate(task.id, 'next tuesday')).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
          message: expect.stringContaining('followUpDate'),
        });
      });

      it('cancels an instance: its open task is cancelled, then the instance', async () => {
        const { engine, log } = await fresh();
        const { instanceId } = await startReview(engine);
        const task = await log.task(instanceId, 'Review');

        await engine.cancelProcessInstance(instanceId);
        const cancelledTask = await log.taskEvent(instanceId, 'task.cancelled', 'Review');
        expect(cancelledTask.event).toMatchObject({ task: { id: task.id }, reason: 'instanceCancelled' });
        const cancelled = await log.event(instanceId, 'processInstance.cancelled');
        expect(cancelled.reason).toBe('cancelled');
        expect(log.indexOf(cancelledTask.event)).toBeLessThan(log.indexOf(cancelled));
        await expect(engine.completeTask(task.id)).rejects.toMatchObject({ code: 'UNKNOWN_TASK' });
      });
    });

    describe('messages', () => {
      const startPayment = async (engine: ProcessEngine, log: TransactionLog) => {
        await engine.deploy({ xml: PAYMENT_PROCESS.xml, resourceName: PAYMENT_PROCESS.resourceName });
        const orderId = `ORDER-${randomUUID()}`;
        const { instanceId } = await engine.startProcessInstance({
          definitionKey: PAYMENT_PROCESS.key,
          variables: { orderId },
        });
        const prepare = await log.task(instanceId, 'Prepare');
        return { instanceId, orderId, prepare };
      };

      it('correlates a message to the instance waiting for its name and correlation key', async () => {
        const { engine, log } = await fresh();
        const { instanceId, orderId, prepare } = await startPayment(engine, log);
        await engine.completeTask(prepare.id);

        const other = await engine.correlateMessage({
          name: PAYMENT_PROCESS.messageName,
          correlationKey: `ORDER-${randomUUID()}`,
        });
        expect(other.instanceIds).toEqual([]);

        const result = await pay(engine, orderId, 99);
        expect(result.instanceIds).toEqual([instanceId]);
        expect(await log.variablesAt(instanceId, 'Ship')).toMatchObject({ orderId, paidAmount: 99 });
      });

      it('buffers a message no instance waits for during its time to live, for the first that waits', async () => {
        const { engine, log } = await fresh();
        const { instanceId, orderId, prepare } = await startPayment(engine, log);
        const early = await pay(engine, orderId, 10, { timeToLiveMs: 60_000 });
        expect(early.instanceIds).toEqual([]);

        await engine.completeTask(prepare.id);
        expect(await log.variablesAt(instanceId, 'Ship')).toMatchObject({ paidAmount: 10 });
      });

      it('keeps nothing of a message without a time to live', async () => {
        const { engine, log } = await fresh();
        const { instanceId, orderId, prepare } = await startPayment(engine, log);
        const dropped = await pay(engine, orderId, 1);
        expect(dropped.instanceIds).toEqual([]);

        await engine.completeTask(prepare.id);
        const caught = await pay(engine, orderId, 2);
        expect(caught.instanceIds).toEqual([instanceId]);
        expect(await log.variablesAt(instanceId, 'Ship')).toMatchObject({ paidAmount: 2 });
      });

      it('changes nothing for a message whose id it received before', async () => {
        const { engine, log } = await fresh();
        const first = await startPayment(engine, log);
        const second = await engine.startProcessInstance({
          definitionKey: PAYMENT_PROCESS.key,
          variables: { orderId: first.orderId },
        });
        const secondPrepare = await log.task(second.instanceId, 'Prepare');
        const message = {
          name: PAYMENT_PROCESS.messageName,
          correlationKey: first.orderId,
          messageId: `payment-${randomUUID()}`,
          variables: { paidAmount: 5 },
          timeToLiveMs: 60_000,
        };
        expect((await engine.correlateMessage(message)).instanceIds).toEqual([]);
        const repeated = await engine.correlateMessage({ ...message, variables: { paidAmount: 6 } });
        expect(repeated.instanceIds).toEqual([]);

        await engine.completeTask(first.prepare.id);
        expect(await log.variablesAt(first.instanceId, 'Ship')).toMatchObject({ paidAmount: 5 });

        // Only one message was kept: the second instance still waits, and takes the next one.
        await engine.completeTask(secondPrepare.id);
        const next = await pay(engine, first.orderId, 7);
        expect(next.instanceIds).toEqual([second.instanceId]);
      });

      if (factory.advanceClock) {
        const advanceClock = factory.advanceClock;
        it('forgets a buffered message once its time to live has ended', async () => {
          const { engine, log } = await fresh();
          const { instanceId, orderId, prepare } = await startPayment(engine, log);
          await pay(engine, orderId, 1, { timeToLiveMs: 1_000 });
          advanceClock(engine, 2_000);

          await engine.completeTask(prepare.id);
          const caught = await pay(engine, orderId, 2);
          expect(caught.instanceIds).toEqual([instanceId]);
        });
      }

      it('refuses bad messages, naming the field', async () => {
        const { engine } = await fresh();
        const message = { name: PAYMENT_PROCESS.messageName, correlationKey: 'k' };
        await expect(engine.correlateMessage({ ...message, timeToLiveMs: -1 })).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
          message: expect.stringContaining('timeToLive'),
        });
        await expect(engine.correlateMessage({ ...message, messageId: '' })).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
          message: expect.stringContaining('messageId'),
        });
      });

      it('refuses a message without a correlation key, naming the field', async () => {
        const { engine } = await fresh();
        await expect(
          engine.correlateMessage({ name: PAYMENT_PROCESS.messageName } as never),
        ).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
          message: expect.stringContaining('correlationKey'),
        });
      });
    });

    describe('delivery', () => {
      it('delivers a transaction the handler rejected again, the same, before any later one', async () => {
        const { engine, log } = await fresh(false);
        let rejections = 0;
        const attempts: EngineTransaction[] = [];
        engine.onTransaction(async (tx) => {
          attempts.push(tx);
          if (rejections === 0 && tx.events.some((e) => e.type === 'task.created')) {
            rejections++;
            throw new Error('the core is down');
          }
          log.receive(tx);
        });
        const { instanceId } = await startReview(engine);
        const { tx } = await log.taskEvent(instanceId, 'task.created', 'Review');

        const deliveries = attempts.filter((a) => a.id === tx.id);
        expect(deliveries).toHaveLength(2);
        expect(deliveries[1]).toEqual(deliveries[0]);
        const positions = attempts.flatMap((a, i) => (a.id === tx.id ? [i] : []));
        expect(positions[1]).toBe(positions[0] + 1);
      });
    });

    if (factory.restart) {
      const restart = factory.restart;
      describe('restart', () => {
        it('goes on with a process after a restart in its middle, and delivers what was not acknowledged', async () => {
          const { engine, log: before } = await fresh(false);
          // Before the restart nothing is acknowledged: every transaction must come again afterwards.
          const unsubscribe = engine.onTransaction(async (tx) => {
            before.receive(tx);
            throw new Error('not acknowledged');
          });
          const { instanceId } = await startReview(engine);
          const { tx: unacknowledged } = await before.taskEvent(instanceId, 'task.created', 'Review');
          unsubscribe();

          const reopened = await restart(engine);
          engines = engines.filter((e) => e !== engine);
          engines.push(reopened);
          const log = new TransactionLog(timeoutMs);
          log.attach(reopened);

          const { event: created, tx } = await log.taskEvent(instanceId, 'task.created', 'Review');
          expect(tx.id).toBe(unacknowledged.id);
          await reopened.completeTask(created.task.id, { approved: true });
          expect(await log.variablesAt(instanceId, 'Approve')).toMatchObject({
            submitter: 'sue',
            approved: true,
          });
        });

        it('keeps a buffered message across a restart', async () => {
          const { engine, log: before } = await fresh();
          await engine.deploy({ xml: PAYMENT_PROCESS.xml, resourceName: PAYMENT_PROCESS.resourceName });
          const orderId = `ORDER-${randomUUID()}`;
          const { instanceId } = await engine.startProcessInstance({
            definitionKey: PAYMENT_PROCESS.key,
            variables: { orderId },
          });
          const prepare = await before.task(instanceId, 'Prepare');
          await pay(engine, orderId, 42, { timeToLiveMs: 60_000 });

          const reopened = await restart(engine);
          engines = engines.filter((e) => e !== engine);
          engines.push(reopened);
          const log = new TransactionLog(timeoutMs);
          log.attach(reopened);
          await reopened.completeTask(prepare.id);
          expect(await log.variablesAt(instanceId, 'Ship')).toMatchObject({ paidAmount: 42 });
        });
      });
    }
  });
}

type EventOf<T extends EngineEvent['type']> = Extract<EngineEvent, { type: T }>;
type TaskEvent = Extract<EngineEvent, { task: EngineTask }>;
type TaskEventType = TaskEvent['type'];

/** The transactions a test received, in order, with waits that end as soon as the awaited event arrives. */
class TransactionLog {
  readonly transactions: EngineTransaction[] = [];
  private readonly events: { event: EngineEvent; tx: EngineTransaction }[] = [];
  private readonly seen = new Set<string>();
  private waiters: (() => void)[] = [];

  constructor(private readonly timeoutMs: number) {}

  attach(engine: ProcessEngine): void {
    engine.onTransaction(async (tx) => this.receive(tx));
  }

  /** Records a transaction; a redelivered one (same id) is recorded once. */
  receive(tx: EngineTransaction): void {
    if (this.seen.has(tx.id)) return;
    this.seen.add(tx.id);
    this.transactions.push(tx);
    for (const event of tx.events) this.events.push({ event, tx });
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  indexOf(event: EngineEvent): number {
    return this.events.findIndex((e) => e.event === event);
  }

  /** The first event of this type of an instance. */
  async event<T extends EngineEvent['type']>(instanceId: string, type: T): Promise<EventOf<T>> {
    const found = await this.waitFor(
      () => this.events.find((e) => e.tx.processInstanceId === instanceId && e.event.type === type),
      `${type} of instance ${instanceId}`,
    );
    return found.event as EventOf<T>;
  }

  /** The first event of this type of a task of an element that matches. */
  async taskEvent<T extends TaskEventType>(
    instanceId: string,
    type: T,
    taskDefinitionKey: string,
    matches: (event: EventOf<T>) => boolean = () => true,
  ): Promise<{ event: EventOf<T>; tx: EngineTransaction }> {
    const found = await this.waitFor(
      () =>
        this.events.find(
          (e) =>
            e.tx.processInstanceId === instanceId &&
            e.event.type === type &&
            (e.event as TaskEvent).task.taskDefinitionKey === taskDefinitionKey &&
            matches(e.event as EventOf<T>),
        ),
      `${type} of ${taskDefinitionKey} in instance ${instanceId}`,
    );
    return { event: found.event as EventOf<T>, tx: found.tx };
  }

  /** The variables visible at the task created for an element, in the transaction that created it. */
  async variablesAt(instanceId: string, taskDefinitionKey: string): Promise<Variables> {
    const { event, tx } = await this.taskEvent(instanceId, 'task.created', taskDefinitionKey);
    return tx.variables[event.task.id];
  }

  /** The task created for an element. */
  async task(instanceId: string, taskDefinitionKey: string): Promise<EngineTask> {
    return (await this.taskEvent(instanceId, 'task.created', taskDefinitionKey)).event.task;
  }

  private waitFor<T>(find: () => T | undefined, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), this.timeoutMs);
      const check = () => {
        const found = find();
        if (found === undefined) return void this.waiters.push(check);
        clearTimeout(timer);
        resolve(found);
      };
      check();
    });
  }
}
