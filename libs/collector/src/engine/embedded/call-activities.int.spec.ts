import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { DeliveredTransactions } from '@eddy/testing/delivered-transactions';
import { type EngineEvent } from '../engine.port';
import { EmbeddedProcessEngine } from './embedded.engine';

const xml = readFileSync(join(__dirname, 'fixtures', 'dialect', 'call-activity.bpmn'), 'utf8');
const repoModel = (name: string) => readFileSync(join(__dirname, '../../../../../bpmn', name), 'utf8');

type Started = Extract<EngineEvent, { type: 'processInstance.started' }>;
type Cancelled = Extract<EngineEvent, { type: 'processInstance.cancelled' }>;

describe('embedded engine: call activities', () => {
  let dataDir: string;
  let engine: EmbeddedProcessEngine;
  const delivered = new DeliveredTransactions();

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'eddy-call-activity-'));
    engine = await EmbeddedProcessEngine.open({ dataDir, durability: 'normal' });
    delivered.clear();
    engine.onTransaction(delivered.handler);
    await engine.deploy({ xml, resourceName: 'call-activity.bpmn' });
  });
  afterEach(async () => {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const until = <T extends EngineEvent>(match: (e: EngineEvent) => e is T, count = 1) =>
    delivered.until(match, count);
  const all = <T extends EngineEvent>(match: (e: EngineEvent) => e is T) => delivered.all(match);
  const tasksOf = (elementId: string, count = 1) => delivered.tasks(elementId, count);
  const childrenOf = (parentId: string, count: number) =>
    until(
      (e): e is Started => e.type === 'processInstance.started' && e.instance.parentInstanceId === parentId,
      count,
    );

  it('starts the called process as an instance of its own that knows its caller, and goes on with its outputs', async () => {
    const { instanceId } = await engine.startProcessInstance({
      definitionKey: 'call-parent',
      variables: { applicant: 'ann' },
    });
    const [child] = await childrenOf(instanceId, 1);
    expect(child.instance.processDefinitionKey).toBe('call-child');
    expect(child.instance.id).not.toBe(instanceId);
    expect(child.variables).toMatchObject({ applicant: 'ann', reviewer: 'ann-reviewer' });
    const [review] = await tasksOf('review');
    expect(review.assignee).toBe('ann-reviewer');
    await engine.completeTask(review.id, { decision: 'ok', extra: 1 });

    // The multi-instance call activity: a child per item, given only its input mapping.
    const each = await childrenOf(instanceId, 3);
    expect(each.slice(1).map((e) => e.variables)).toEqual([{ reviewer: 'bob' }, { reviewer: 'cy' }]);
    const reviews = await tasksOf('review', 3);
    await engine.completeTask(reviews[2].id, { decision: 'no' });
    await engine.completeTask(reviews[1].id, { decision: 'yes' });

    const [after] = await tasksOf('afterCalls');
    const variables = delivered.taskVariables.get(after.id)!;
    expect(variables).toMatchObject({ verdict: 'ok', decisions: ['yes', 'no'] });
    // propagateAllChildVariables="false" on the first: only its output mapping came back.
    expect(variables).not.toHaveProperty('extra');
    expect(variables).not.toHaveProperty('reviewer');
    // Every child finished; the caller is still waiting at its user task.
    const finished = all(
      (e): e is Extract<EngineEvent, { type: 'processInstance.finished' }> =>
        e.type === 'processInstance.finished',
    );
    expect(finished.map((e) => e.instance.id).sort()).toEqual(each.map((e) => e.instance.id).sort());
  });

  it('cancels the child when its caller is cancelled', async () => {
    const { instanceId } = await engine.startProcessInstance({
      definitionKey: 'call-parent',
      variables: { applicant: 'ann' },
    });
    const [child] = await childrenOf(instanceId, 1);
    await tasksOf('review');
    await engine.cancelProcessInstance(instanceId);
    const cancelled = await until(
      (e): e is Cancelled => e.type === 'processInstance.cancelled' && e.instance.id === child.instance.id,
    );
    expect(cancelled[0].reason).toBe('cancelled');
    const [task] = await tasksOf('review');
    await expect(engine.completeTask(task.id, {})).rejects.toMatchObject({ code: 'UNKNOWN_TASK' });
  });

  it('ends the caller with an incident naming the call activity when the called process is not deployed', async () => {
    const { instanceId } = await engine.startProcessInstance({ definitionKey: 'call-missing' });
    const [cancelled] = await until(
      (e): e is Cancelled => e.type === 'processInstance.cancelled' && e.instance.id === instanceId,
    );
    expect(cancelled.reason).toBe('incident');
    expect(cancelled.error).toContain('callNowhere: cannot start process no-such');
  });

  it('runs the order-fulfilment model of bpmn/: a multi-instance call activity, then an inclusive gateway', async () => {
    await engine.deploy({ xml: repoModel('order-fulfilment.bpmn'), resourceName: 'order-fulfilment.bpmn' });
    const activate = (type: string) =>
      engine.jobs.activate({
        type,
        worker: 'test',
        timeoutMs: 60_000,
        maxJobsToActivate: 10,
        requestTimeoutMs: 5_000,
      });
    await engine.startProcessInstance({
      definitionKey: 'order-fulfilment',
      variables: { items: [{ sku: 'A' }, { sku: 'B' }], giftWrap: true, insured: true },
    });
    const picks = await activate('pick-item');
    expect(picks.map((j) => j.variables.sku)).toEqual(['A', 'B']);
    await engine.jobs.complete(picks[1].jobKey, { shelf: 'S2' });
    await engine.jobs.complete(picks[0].jobKey, { shelf: 'S1' });

    const [wrap] = await tasksOf('WrapGift');
    expect(wrap.description).toBe('Wrap the 2 parcels');
    const [insure] = await activate('insure-shipment');
    await engine.jobs.complete(insure.jobKey);
    await engine.completeTask(wrap.id, {});
    const [ship] = await tasksOf('ShipOrder');
    expect(delivered.taskVariables.get(ship.id)).toMatchObject({
      parcels: [
        { sku: 'A', shelf: 'S1' },
        { sku: 'B', shelf: 'S2' },
      ],
    });
    expect(delivered.taskVariables.get(ship.id)).not.toHaveProperty('shelf');
  });
});
