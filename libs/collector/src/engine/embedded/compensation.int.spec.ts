import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type EngineEvent } from '../engine.port';
import { type ActivateJobsRequest } from '../job-worker.port';
import { EngineOnTempFolder } from './engine-on-temp-folder.testing';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', 'dialect', name), 'utf8');

type Created = Extract<EngineEvent, { type: 'task.created' }>;
type Finished = Extract<EngineEvent, { type: 'processInstance.finished' }>;

const activation = (type: string): ActivateJobsRequest => ({
  type,
  worker: 'compensation',
  timeoutMs: 60_000,
  maxJobsToActivate: 5,
  requestTimeoutMs: 5_000,
});

describe('embedded engine: compensation and error event sub-processes in sub-processes', () => {
  let t: EngineOnTempFolder;

  const tasksCreated = (instanceId: string) =>
    t.delivered.events
      .filter((e): e is Created => e.type === 'task.created' && e.task.processInstanceId === instanceId)
      .map((e) => e.task.taskDefinitionKey);
  const finished = (instanceId: string) =>
    t.delivered.until(
      (e): e is Finished => e.type === 'processInstance.finished' && e.instance.id === instanceId,
      `the end of ${instanceId}`,
    );

  beforeEach(async () => {
    t = await EngineOnTempFolder.open('eddy-compensation-', {
      xml: fixture('compensation.bpmn'),
      resourceName: 'compensation.bpmn',
    });
  });
  afterEach(() => t.close());

  it('a throw event with activityRef compensates that activity only, its handler a job waiting for a worker, and goes on when the job is done', async () => {
    const { instanceId } = await t.engine.startProcessInstance({ definitionKey: 'compensate-one' });
    const [book] = await t.engine.jobs.activate(activation('book-room'));
    await t.engine.jobs.complete(book.jobKey, { roomId: 'R-12' });
    const pay = await t.delivered.task('pay');
    await t.engine.completeTask(pay.id);

    const [cancel] = await t.engine.jobs.activate(activation('cancel-room'));
    expect(cancel).toMatchObject({ elementId: 'undoBook', processInstanceKey: instanceId });
    expect(cancel.variables).toMatchObject({ roomId: 'R-12' });
    // The throw event waits for its handler.
    expect(tasksCreated(instanceId)).toEqual(['pay']);

    await t.engine.jobs.complete(cancel.jobKey);
    const apologise = await t.delivered.task('apologise');
    expect(apologise.processInstanceId).toBe(instanceId);
    expect(tasksCreated(instanceId)).not.toContain('refund');
  });

  it('a compensation end event without activityRef runs the handlers of every completed activity, the last completed first, and ends when they are done', async () => {
    const { instanceId } = await t.engine.startProcessInstance({ definitionKey: 'compensate-all' });
    const report = await t.delivered.task('report');
    await t.engine.completeTask(report.id);

    const refund = await t.delivered.task('refundCharge');
    const release = await t.delivered.task('release');
    // Both at once, in one step, in reverse order of completion.
    expect(tasksCreated(instanceId)).toEqual(['report', 'refundCharge', 'release']);
    const handlerTx = t.delivered.transactions.find((tx) =>
      tx.events.some((e) => e.type === 'task.created' && e.task.id === refund.id),
    );
    expect(handlerTx?.events.some((e) => e.type === 'task.created' && e.task.id === release.id)).toBe(true);

    await t.engine.completeTask(refund.id);
    expect(t.delivered.events.some((e) => e.type === 'processInstance.finished')).toBe(false);
    await t.engine.completeTask(release.id);
    await finished(instanceId);
  });

  it('a throw event before any activity completed has nothing to compensate and goes on at once', async () => {
    const { instanceId } = await t.engine.startProcessInstance({
      definitionKey: 'compensate-all',
      variables: { abort: true },
    });
    const report = await t.delivered.task('report');
    await t.engine.completeTask(report.id);
    await finished(instanceId);
    expect(tasksCreated(instanceId)).toEqual(['report']);
  });

  it('the handler of an activity that completed twice runs twice, one run after the other', async () => {
    const { instanceId } = await t.engine.startProcessInstance({ definitionKey: 'compensate-twice' });
    const first = await t.delivered.task('recall');
    expect(tasksCreated(instanceId)).toEqual(['recall']);
    await t.engine.completeTask(first.id);
    const second = await t.delivered.until(
      (e): e is Created =>
        e.type === 'task.created' && e.task.taskDefinitionKey === 'recall' && e.task.id !== first.id,
      'the second recall',
    );
    expect(tasksCreated(instanceId)).toEqual(['recall', 'recall']);
    await t.engine.completeTask(second.task.id);
    await t.delivered.task('recalled');
  });

  it('a throw event inside a sub-process compensates the activities of the sub-process only', async () => {
    const { instanceId } = await t.engine.startProcessInstance({ definitionKey: 'compensate-in-sub' });
    const unhold = await t.delivered.task('unhold');
    // The handler runs in the sub-process's scope.
    expect(t.delivered.variablesOf(unhold)).toMatchObject({ holdId: 'H-7' });
    await t.engine.completeTask(unhold.id);
    const after = await t.delivered.task('after');
    expect(t.delivered.variablesOf(after)).not.toHaveProperty('holdId');
    expect(tasksCreated(instanceId)).toEqual(['unhold', 'after']);
  });

  it('a throw event in an error event sub-process of a sub-process compensates the activities of that sub-process', async () => {
    const { instanceId } = await t.engine.startProcessInstance({
      definitionKey: 'compensate-from-event-sub-process',
    });
    const [reserve] = await t.engine.jobs.activate(activation('reserve-car'));
    await t.engine.jobs.complete(reserve.jobKey);
    const inspect = await t.delivered.task('inspectCar');
    await t.engine.completeTask(inspect.id, { carReady: false });
    const [release] = await t.engine.jobs.activate(activation('release-car'));
    expect(release).toMatchObject({ elementId: 'releaseCar', processInstanceKey: instanceId });
    expect(tasksCreated(instanceId)).toEqual(['inspectCar']);
    await t.engine.jobs.complete(release.jobKey);
    const propose = await t.delivered.task('proposeOther');
    await t.engine.completeTask(propose.id);
    await finished(instanceId);
  });

  it('a handler waiting for its worker survives a restart, and the throw event goes on after it', async () => {
    const { instanceId } = await t.engine.startProcessInstance({ definitionKey: 'compensate-one' });
    const [book] = await t.engine.jobs.activate(activation('book-room'));
    await t.engine.jobs.complete(book.jobKey);
    const pay = await t.delivered.task('pay');
    await t.engine.completeTask(pay.id);
    await t.restart();
    const [cancel] = await t.engine.jobs.activate(activation('cancel-room'));
    expect(cancel.processInstanceKey).toBe(instanceId);
    await t.engine.jobs.complete(cancel.jobKey);
    await t.delivered.task('apologise');
  });

  it('an error event sub-process inside a sub-process catches a job error there, with the sub-process scope, and the process goes on after the sub-process', async () => {
    const { instanceId } = await t.engine.startProcessInstance({ definitionKey: 'error-in-sub' });
    const [charge] = await t.engine.jobs.activate(activation('charge-in-sub'));
    await t.engine.jobs.throwError(charge.jobKey, { errorCode: 'DECLINED', variables: { reason: 'limit' } });
    const callBack = await t.delivered.task('callBack');
    expect(callBack.processInstanceId).toBe(instanceId);
    expect(t.delivered.variablesOf(callBack)).toMatchObject({ attempt: 1, reason: 'limit' });
    await expect(t.engine.jobs.complete(charge.jobKey)).rejects.toMatchObject({ code: 'UNKNOWN_JOB' });

    await t.engine.completeTask(callBack.id);
    const after = await t.delivered.task('afterPayment');
    expect(t.delivered.variablesOf(after)).not.toHaveProperty('attempt');
    expect(tasksCreated(instanceId)).toEqual(['callBack', 'afterPayment']);
  });
});

describe('embedded engine: compensation refused at deployment', () => {
  it('names a compensation boundary event without a handler and an activityRef naming no activity', async () => {
    const t = await EngineOnTempFolder.open('eddy-compensation-refused-', {
      xml: fixture('compensation.bpmn'),
      resourceName: 'compensation.bpmn',
    });
    try {
      const refused = t.engine.deploy({
        xml: fixture('refused-compensation.bpmn'),
        resourceName: 'refused-compensation.bpmn',
      });
      await expect(refused).rejects.toMatchObject({
        code: 'UNSUPPORTED_ELEMENT',
        details: [
          {
            elementId: 'noHandler',
            elementType: 'bpmn:BoundaryEvent',
            reason: expect.stringMatching(/needs a compensation handler/),
          },
          {
            elementId: 'undoNothing',
            elementType: 'bpmn:IntermediateThrowEvent',
            reason: 'activityRef "noSuchActivity" names no activity',
          },
        ],
      });
    } finally {
      await t.close();
    }
  });
});
