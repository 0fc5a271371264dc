import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { EngineError } from '../engine.errors';
import { type EngineEvent } from '../engine.port';
import { DeliveredTransactions as Delivered } from './engine-on-temp-folder.testing';
import { EmbeddedProcessEngine } from './embedded.engine';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', 'dialect', name), 'utf8');
const repoModel = (name: string) => readFileSync(join(__dirname, '../../../../../bpmn', name), 'utf8');

describe('embedded engine: the zeebe dialect', () => {
  let dataDir: string;
  let engine: EmbeddedProcessEngine;
  let delivered: Delivered;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'eddy-dialect-'));
    engine = await EmbeddedProcessEngine.open({ dataDir, durability: 'normal' });
    delivered = new Delivered();
    engine.onTransaction(delivered.handler);
  });
  afterEach(async () => {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('input mappings make local variables of a task, output mappings set process variables', async () => {
    await engine.deploy({ xml: fixture('io-mapping.bpmn'), resourceName: 'io-mapping.bpmn' });
    await engine.startProcessInstance({ definitionKey: 'io-mapping', variables: { order: { total: 60 } } });
    const review = await delivered.task('review');
    expect(review.assignee).toBe('sam');
    expect(delivered.variablesOf(review)).toMatchObject({
      order: { total: 60 },
      doubled: 120,
      reviewer: 'sam',
    });

    await engine.completeTask(review.id, { approved: true });
    const check = await delivered.task('check');
    const after = delivered.variablesOf(check);
    expect(after.result).toEqual({ approved: true });
    // The locals of the review went with it.
    expect(after).not.toHaveProperty('doubled');
    expect(after).not.toHaveProperty('reviewer');
  });

  it('runs an embedded sub-process whose elements see its locals, and a non-interrupting event sub-process started by an escalation', async () => {
    await engine.deploy({ xml: fixture('sub-process.bpmn'), resourceName: 'sub-process.bpmn' });
    await engine.startProcessInstance({ definitionKey: 'sub-process', variables: { orderId: 'A-1' } });
    const pack = await delivered.task('pack');
    expect(pack.description).toBe('pack A-1');
    expect(delivered.variablesOf(pack)).toMatchObject({ step: 'pack A-1' });

    await engine.completeTask(pack.id, { late: true });
    const refund = await delivered.task('refund');
    const ship = await delivered.task('ship');
    await engine.completeTask(refund.id);
    await engine.completeTask(ship.id);
    await delivered.until(
      (e): e is Extract<EngineEvent, { type: 'processInstance.finished' }> =>
        e.type === 'processInstance.finished',
      'the end of the instance',
    );
  });

  it('sets a script task result from FEEL and follows a link event', async () => {
    await engine.deploy({ xml: fixture('script-and-link.bpmn'), resourceName: 'script-and-link.bpmn' });
    await engine.startProcessInstance({ definitionKey: 'script-and-link', variables: { a: 2, b: 3 } });
    const task = await delivered.task('largeTask');
    expect(delivered.variablesOf(task)).toMatchObject({ total: 5 });
  });

  it('fires a non-interrupting timer cycle as often as it repeats', async () => {
    await engine.deploy({ xml: fixture('timer-cycle.bpmn'), resourceName: 'timer-cycle.bpmn' });
    await engine.startProcessInstance({ definitionKey: 'timer-cycle' });
    const reminders = () =>
      delivered.events.filter(
        (e): e is Extract<EngineEvent, { type: 'task.created' }> =>
          e.type === 'task.created' && e.task.taskDefinitionKey === 'remind',
      );
    const first = await delivered.task('remind');
    // bpmn-engine enters an element once at a time: the second reminder follows when the first is done.
    await engine.completeTask(first.id);
    await delivered.until(
      (e): e is EngineEvent => e.type === 'task.created' && reminders().length === 2,
      'a second reminder',
    );
    expect(delivered.events.some((e) => e.type === 'task.cancelled')).toBe(false);
  });

  it('evaluates the DMN decision a business rule task calls, and fails the instance when none is deployed', async () => {
    await engine.deploy({ xml: fixture('decision.bpmn'), resourceName: 'decision.bpmn' });
    const missing = await engine.startProcessInstance({
      definitionKey: 'decision',
      variables: { orders: 12 },
    });
    const incident = await delivered.until(
      (e): e is Extract<EngineEvent, { type: 'processInstance.cancelled' }> =>
        e.type === 'processInstance.cancelled' && e.instance.id === missing.instanceId,
      'an incident',
    );
    expect(incident).toMatchObject({
      reason: 'incident',
      error: expect.stringContaining('no decision discount is deployed'),
    });

    expect(await engine.deploy({ xml: fixture('discount.dmn'), resourceName: 'discount.dmn' })).toEqual([]);
    await engine.startProcessInstance({ definitionKey: 'decision', variables: { orders: 12, amount: 150 } });
    const confirm = await delivered.task('confirm');
    expect(delivered.variablesOf(confirm).discount).toEqual({ percent: 15, reason: 'gold and large' });
  });

  it('a receive task waits for its message', async () => {
    await engine.deploy({ xml: fixture('receive-task.bpmn'), resourceName: 'receive-task.bpmn' });
    const { instanceId } = await engine.startProcessInstance({
      definitionKey: 'receive-task',
      variables: { orderId: 'B-7' },
    });
    const result = await engine.correlateMessage({
      name: 'payment-received',
      correlationKey: 'B-7',
      variables: { paid: 12 },
    });
    expect(result.instanceIds).toEqual([instanceId]);
    const ship = await delivered.task('ship');
    expect(delivered.variablesOf(ship)).toMatchObject({ paid: 12 });
  });

  it('runs a parallel multi-instance user task per item and collects the output elements in item order', async () => {
    await engine.deploy({ xml: fixture('multi-instance.bpmn'), resourceName: 'multi-instance.bpmn' });
    await engine.startProcessInstance({
      definitionKey: 'multi-instance',
      variables: { reviewers: ['ann', 'bob'] },
    });
    await delivered.until(
      (e): e is EngineEvent =>
        e.type === 'task.created' &&
        delivered.events.filter((x) => x.type === 'task.created' && x.task.taskDefinitionKey === 'vote')
          .length === 2,
      'two votes',
    );
    const votes = delivered.events.flatMap((e) => (e.type === 'task.created' ? [e.task] : []));
    expect(votes.map((t) => t.assignee)).toEqual(['ann', 'bob']);
    expect(delivered.variablesOf(votes[1])).toMatchObject({ reviewer: 'bob', loopCounter: 2 });
    await engine.completeTask(votes[1].id, { approve: false });
    await engine.completeTask(votes[0].id, { approve: true });
    const tally = await delivered.task('tally');
    const after = delivered.variablesOf(tally);
    expect(after.votes).toEqual(['ann:true', 'bob:false']);
    const completed = delivered.events.filter(
      (e) => e.type === 'task.completed' && e.task.taskDefinitionKey === 'vote',
    );
    expect(completed.map((e) => e.type === 'task.completed' && e.variables)).toEqual([
      { approve: false },
      { approve: true },
    ]);
    expect(after).not.toHaveProperty('reviewer');
  });

  it('runs the order-discount model of bpmn/: a DMN table, a sub-process with mappings, a script task, an embedded form', async () => {
    expect(
      await engine.deploy({ xml: repoModel('order-discount.dmn'), resourceName: 'order-discount.dmn' }),
    ).toEqual([]);
    const [definition] = await engine.deploy({
      xml: repoModel('order-discount.bpmn'),
      resourceName: 'order-discount.bpmn',
    });
    expect(definition).toMatchObject({
      key: 'order-discount',
      formKey: 'order-start',
      candidateStarterGroups: ['sales'],
    });
    await engine.startProcessInstance({
      definitionKey: 'order-discount',
      variables: { customer: 'ACME', amount: 2000, customerYears: 6 },
    });
    const approve = await delivered.task('ApproveDiscount');
    expect(approve).toMatchObject({ formKey: 'order-approve', candidateGroups: ['sales'] });
    expect(approve.description).toBe('ACME orders 2000, discount 15%: loyal customer, large order');
    await engine.completeTask(approve.id, { approved: true });
    const confirm = await delivered.task('ConfirmOrder');
    expect(confirm.formKey).toBe('camunda-forms:bpmn:UserTaskForm_OrderConfirm');
    expect(delivered.variablesOf(confirm)).toMatchObject({ discountApproved: true, finalPrice: 1700 });
    expect(delivered.variablesOf(confirm)).not.toHaveProperty('summary');
    await engine.completeTask(confirm.id, { confirmed: true });
    await delivered.until(
      (e): e is EngineEvent => e.type === 'processInstance.finished',
      'the end of the order',
    );
  });

  it('starts an instance for a message its message start event names, and cannot be started otherwise', async () => {
    const [definition] = await engine.deploy({
      xml: fixture('message-start.bpmn'),
      resourceName: 'message-start.bpmn',
    });
    expect(definition.startableFromTasklist).toBe(false);
    await expect(engine.startProcessInstance({ definitionKey: 'message-start' })).rejects.toMatchObject({
      code: 'NOT_STARTABLE',
    });
    const result = await engine.correlateMessage({
      name: 'order-placed',
      correlationKey: '',
      variables: { order: 7 },
    });
    expect(result.instanceIds).toHaveLength(1);
    const task = await delivered.task('handle');
    expect(task.processInstanceId).toBe(result.instanceIds[0]);
    expect(delivered.variablesOf(task)).toMatchObject({ order: 7 });
    expect((await engine.correlateMessage({ name: 'other', correlationKey: '' })).instanceIds).toEqual([]);
  });

  it('an event-based gateway takes the message that comes first, and an escalation end event reaches a boundary event', async () => {
    await engine.deploy({ xml: fixture('event-gateway.bpmn'), resourceName: 'event-gateway.bpmn' });
    const { instanceId } = await engine.startProcessInstance({
      definitionKey: 'event-gateway',
      variables: { caseId: 'C-3' },
    });
    const result = await engine.correlateMessage({ name: 'answer', correlationKey: 'C-3' });
    expect(result.instanceIds).toEqual([instanceId]);
    await delivered.task('callBack');
    expect(
      delivered.events.some((e) => e.type === 'task.created' && e.task.taskDefinitionKey === 'close'),
    ).toBe(false);
  });

  it('refuses at deployment every element it cannot run, once each, inside sub-processes too', async () => {
    const error = await engine
      .deploy({ xml: fixture('refused-dialect.bpmn'), resourceName: 'refused-dialect.bpmn' })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(EngineError);
    const { code, details, message } = error as EngineError;
    expect(code).toBe('UNSUPPORTED_ELEMENT');
    const ids = details.map((d) => d.elementId);
    expect(new Set(ids)).toEqual(new Set(['badScript', 'adhoc', 'task', 'nightly']));
    expect(details.find((d) => d.elementId === 'nightly')?.reason).toMatch(/cron cycles are not supported/);
    expect(details.find((d) => d.elementId === 'badScript')?.reason).toMatch(/resultVariable/);
    expect(details.filter((d) => d.elementId === 'task').map((d) => d.reason)).toEqual([
      expect.stringMatching(/target "null" is a reserved FEEL name/),
      expect.stringMatching(/output mapping x: source is not valid FEEL/),
    ]);
    expect(message).toContain('refused-dialect.bpmn');
  });

  it('an error event sub-process catches a job error and an error end event, interrupting the instance', async () => {
    await engine.deploy({
      xml: fixture('error-event-sub-process.bpmn'),
      resourceName: 'error-event-sub-process.bpmn',
    });
    const charge = {
      type: 'charge-card',
      worker: 'dialect',
      timeoutMs: 60_000,
      maxJobsToActivate: 1,
      requestTimeoutMs: 10_000,
    };
    // A job error: the waiting job's element is left and the event sub-process runs.
    const declined = await engine.startProcessInstance({ definitionKey: 'error-event-sub-process' });
    const [job] = await engine.jobs.activate(charge);
    await engine.jobs.throwError(job.jobKey, { errorCode: 'DECLINED', variables: { reason: 'limit' } });
    const call = await delivered.task('callCustomer');
    expect(call.processInstanceId).toBe(declined.instanceId);
    expect(delivered.variablesOf(call)).toMatchObject({ reason: 'limit' });
    await expect(engine.jobs.complete(job.jobKey)).rejects.toMatchObject({ code: 'UNKNOWN_JOB' });
    await engine.completeTask(call.id);
    await delivered.until(
      (e): e is Extract<EngineEvent, { type: 'processInstance.finished' }> =>
        e.type === 'processInstance.finished' && e.instance.id === declined.instanceId,
      'the end of the declined instance',
    );
    expect(
      delivered.events.some((e) => e.type === 'task.created' && e.task.taskDefinitionKey === 'ship'),
    ).toBe(false);

    // An error end event of the process, after the job completed.
    const damaged = await engine.startProcessInstance({ definitionKey: 'error-event-sub-process' });
    const [next] = await engine.jobs.activate(charge);
    await engine.jobs.complete(next.jobKey);
    const ship = await delivered.task('ship');
    await engine.completeTask(ship.id, { damaged: true });
    await delivered.until(
      (e): e is Extract<EngineEvent, { type: 'task.created' }> =>
        e.type === 'task.created' &&
        e.task.taskDefinitionKey === 'callCustomer' &&
        e.task.processInstanceId === damaged.instanceId,
      'the call of the damaged order',
    );
  });

  it('runs the card-payment model of bpmn/: a declined card starts its error event sub-process', async () => {
    await engine.deploy({ xml: repoModel('card-payment.bpmn'), resourceName: 'card-payment.bpmn' });
    await engine.startProcessInstance({
      definitionKey: 'card-payment',
      variables: { customer: 'Ada', amount: 120 },
    });
    const [charge] = await engine.jobs.activate({
      type: 'charge-card',
      worker: 'payments',
      timeoutMs: 60_000,
      maxJobsToActivate: 1,
      requestTimeoutMs: 10_000,
    });
    expect(charge.variables).toMatchObject({ customer: 'Ada', amount: 120 });
    await engine.jobs.throwError(charge.jobKey, { errorCode: 'CARD_DECLINED' });
    const call = await delivered.task('CallCustomer');
    expect(call.candidateGroups).toEqual(['sales']);
    expect(call.formKey).toBe('payment-call');
    expect(
      delivered.events.some((e) => e.type === 'task.created' && e.task.taskDefinitionKey === 'ShipOrder'),
    ).toBe(false);
  });

  it('refuses non-interrupting error event sub-processes, in the process and inside sub-processes, naming their start events', async () => {
    const eventSubProcess = (id: string, interrupting: boolean) =>
      `<bpmn:subProcess id="${id}" triggeredByEvent="true">
        <bpmn:startEvent id="${id}-start" isInterrupting="${interrupting}"><bpmn:errorEventDefinition id="${id}-ed" /></bpmn:startEvent>
      </bpmn:subProcess>`;
    const xml = `<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
      <bpmn:process id="esp" isExecutable="true">
        <bpmn:startEvent id="start" />
        <bpmn:subProcess id="inner"><bpmn:startEvent id="innerStart" />${eventSubProcess('nested', false)}${eventSubProcess('fine', true)}</bpmn:subProcess>
        ${eventSubProcess('gentle', false)}
      </bpmn:process></bpmn:definitions>`;
    await expect(engine.deploy({ xml, resourceName: 'esp.bpmn' })).rejects.toMatchObject({
      code: 'UNSUPPORTED_ELEMENT',
      details: [
        expect.objectContaining({
          elementId: 'nested-start',
          reason: expect.stringMatching(/always interrupt/),
        }),
        expect.objectContaining({
          elementId: 'gentle-start',
          reason: expect.stringMatching(/always interrupt/),
        }),
      ],
    });
  });

  it('a manual task completes at once, as on Camunda 8', async () => {
    const xml = `<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="x">
      <bpmn:process id="manual" isExecutable="true">
        <bpmn:startEvent id="start" />
        <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="upload" />
        <bpmn:manualTask id="upload" />
        <bpmn:sequenceFlow id="f2" sourceRef="upload" targetRef="check" />
        <bpmn:userTask id="check"><bpmn:extensionElements><zeebe:userTask /></bpmn:extensionElements></bpmn:userTask>
      </bpmn:process></bpmn:definitions>`;
    await engine.deploy({ xml, resourceName: 'manual.bpmn' });
    const { instanceId } = await engine.startProcessInstance({ definitionKey: 'manual' });
    const check = await delivered.task('check');
    expect(check.processInstanceId).toBe(instanceId);
  });

  it('a user task with a zeebe:taskDefinition (as early Camunda 8 models have) is a user task, and extensions of other namespaces are ignored, as Zeebe ignores both', async () => {
    const xml = `<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:conversion="http://camunda.org/schema/conversion/1.0" id="d" targetNamespace="x">
      <bpmn:process id="early" isExecutable="true">
        <bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="approve" />
        <bpmn:userTask id="approve"><bpmn:extensionElements><zeebe:taskDefinition type="userTask" /><conversion:message severity="REVIEW">a note of another tool</conversion:message></bpmn:extensionElements></bpmn:userTask>
      </bpmn:process></bpmn:definitions>`;
    await engine.deploy({ xml, resourceName: 'early.bpmn' });
    await engine.startProcessInstance({ definitionKey: 'early' });
    expect((await delivered.task('approve')).taskDefinitionKey).toBe('approve');
    expect(
      await engine.jobs.activate({
        type: 'userTask',
        worker: 'w',
        timeoutMs: 1_000,
        maxJobsToActivate: 1,
        requestTimeoutMs: -1,
      }),
    ).toEqual([]);
  });

  it('deploys each executable process of a resource on its own, refusing the elements of each, and one beside a pool without a process', async () => {
    const pool = (id: string, executable: boolean) =>
      `<bpmn:process id="${id}" isExecutable="${executable}"><bpmn:startEvent id="${id}-start" />
        <bpmn:sequenceFlow id="${id}-f" sourceRef="${id}-start" targetRef="${id}-task" />
        <bpmn:userTask id="${id}-task" /></bpmn:process>`;
    const definitions = (body: string) =>
      `<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">${body}</bpmn:definitions>`;
    const deployedBoth = await engine.deploy({
      xml: definitions(pool('one', true) + pool('two', true)),
      resourceName: 'two.bpmn',
    });
    expect(deployedBoth.map((d) => d.id)).toEqual(['one:1', 'two:1']);
    const second = await engine.startProcessInstance({ definitionKey: 'two' });
    const task = await delivered.task('two-task');
    expect(task.processInstanceId).toBe(second.instanceId);
    // Only the process started runs.
    expect(
      delivered.events.some((e) => e.type === 'task.created' && e.task.taskDefinitionKey === 'one-task'),
    ).toBe(false);
    const refused = (id: string) =>
      `<bpmn:process id="${id}" isExecutable="true"><bpmn:complexGateway id="${id}-gateway" /></bpmn:process>`;
    await expect(
      engine.deploy({ xml: definitions(refused('three') + refused('four')), resourceName: 'refused.bpmn' }),
    ).rejects.toMatchObject({
      code: 'UNSUPPORTED_ELEMENT',
      details: [
        expect.objectContaining({ elementId: 'three-gateway' }),
        expect.objectContaining({ elementId: 'four-gateway' }),
      ],
    });
    const collaboration = `<bpmn:collaboration id="c">
        <bpmn:participant id="p1" processRef="main" /><bpmn:participant id="p2" name="Bank" />
        <bpmn:participant id="p3" processRef="other" />
        <bpmn:messageFlow id="m1" sourceRef="main-start" targetRef="p2" />
        <bpmn:messageFlow id="m2" sourceRef="p2" targetRef="other-start" />
      </bpmn:collaboration>`;
    const [deployed] = await engine.deploy({
      xml: definitions(collaboration + pool('main', true) + pool('other', false)),
      resourceName: 'pools.bpmn',
    });
    expect(deployed.key).toBe('main');
  });
});
