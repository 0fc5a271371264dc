import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { DeliveredTransactions } from '@eddy/testing/delivered-transactions';
import { type EngineEvent } from '../engine.port';
import { EngineError } from '../engine.errors';
import { type ActivatedJob } from '../job-worker.port';
import { EmbeddedProcessEngine } from './embedded.engine';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', 'dialect', name), 'utf8');

describe('embedded engine: multi-instance sub-processes and service tasks', () => {
  let dataDir: string;
  let engine: EmbeddedProcessEngine;
  const delivered = new DeliveredTransactions();

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'eddy-multi-instance-'));
    engine = await EmbeddedProcessEngine.open({ dataDir, durability: 'normal' });
    delivered.clear();
    engine.onTransaction(delivered.handler);
    for (const name of ['multi-instance-jobs.bpmn', 'multi-instance-messages.bpmn'])
      await engine.deploy({ xml: fixture(name), resourceName: name });
  });
  afterEach(async () => {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const activate = (type: string, maxJobsToActivate = 10): Promise<ActivatedJob[]> =>
    engine.jobs.activate({
      type,
      worker: 'test',
      timeoutMs: 60_000,
      maxJobsToActivate,
      requestTimeoutMs: 5_000,
    });

  it('runs a parallel sub-process per item, each in a scope of its own, and collects the outputs in item order', async () => {
    await engine.startProcessInstance({
      definitionKey: 'multi-instance-jobs',
      variables: { items: [{ sku: 'A' }, { sku: 'B' }, { sku: 'C' }] },
    });
    const checks = await activate('check-item');
    expect(checks.map((j) => [j.variables.sku, j.variables.loopCounter])).toEqual([
      ['A', 1],
      ['B', 2],
      ['C', 3],
    ]);
    expect(checks[1].variables.item).toEqual({ sku: 'B' });
    // Completed out of order, each with the same variable name: every instance keeps its own.
    await engine.jobs.complete(checks[2].jobKey, { result: 'C-ok' });
    await engine.jobs.complete(checks[0].jobKey, { result: 'A-ok' });
    await engine.jobs.complete(checks[1].jobKey, { result: 'B-ok' });

    const [first] = await activate('ship-item');
    // B's condition read its own item; its script task set the result of its own instance.
    expect(first.variables).toMatchObject({
      results: ['A-ok', 'B-ok (flagged)', 'C-ok'],
      shipment: 'A-ok',
    });
    expect(first.variables).not.toHaveProperty('result');
    expect(first.variables).not.toHaveProperty('item');
    expect(first.variables).not.toHaveProperty('sku');
  });

  it('runs a sequential service task one item after the other until its completion condition holds', async () => {
    await engine.startProcessInstance({
      definitionKey: 'multi-instance-jobs',
      variables: { items: [{ sku: 'A' }, { sku: 'B' }, { sku: 'C' }] },
    });
    for (const job of await activate('check-item'))
      await engine.jobs.complete(job.jobKey, { result: job.variables.sku });

    const shipped: unknown[] = [];
    for (let i = 0; i < 2; i++) {
      const jobs = await activate('ship-item');
      expect(jobs).toHaveLength(1);
      shipped.push(jobs[0].variables.shipment);
      await engine.jobs.complete(jobs[0].jobKey);
    }
    expect(shipped).toEqual(['A', 'B (flagged)']);
    const [done] = await delivered.tasks('done');
    expect(done.taskDefinitionKey).toBe('done');
    expect(
      await engine.jobs.activate({
        type: 'ship-item',
        worker: 'test',
        timeoutMs: 1_000,
        maxJobsToActivate: 1,
        requestTimeoutMs: -1,
      }),
    ).toEqual([]);
  });

  it('gives each parallel instance of a sub-process its own message subscription, correlated by its own item', async () => {
    const { instanceId } = await engine.startProcessInstance({
      definitionKey: 'multi-instance-messages',
      variables: { orders: [{ id: 'o1' }, { id: 'o2' }] },
    });
    const shipped = (key: string, tracking: string) =>
      engine.correlateMessage({ name: 'shipped', correlationKey: key, variables: { tracking } });
    expect(await shipped('o2', 'T2')).toEqual({ instanceIds: [instanceId] });
    // The first instance is still waiting for its own message.
    expect(await shipped('o2', 'again')).toEqual({ instanceIds: [] });
    expect(await shipped('o1', 'T1')).toEqual({ instanceIds: [instanceId] });
    const [done] = await delivered.tasks('done');
    const variables = delivered.taskVariables.get(done.id);
    expect(variables).toMatchObject({ trackings: ['T1', 'T2'] });
    expect(variables).not.toHaveProperty('tracking');
    expect(variables).not.toHaveProperty('order');
  });

  it('keeps the scope of every instance across a restart of the engine', async () => {
    await engine.startProcessInstance({
      definitionKey: 'multi-instance-jobs',
      variables: { items: [{ sku: 'A' }, { sku: 'B' }] },
    });
    const [a] = await activate('check-item', 1);
    await engine.jobs.complete(a.jobKey, { result: 'A-ok' });
    await engine.close();

    engine = await EmbeddedProcessEngine.open({ dataDir, durability: 'normal' });
    engine.onTransaction(delivered.handler);
    const [b] = await activate('check-item');
    expect(b.variables).toMatchObject({ item: { sku: 'B' }, sku: 'B', loopCounter: 2 });
    await engine.jobs.complete(b.jobKey, { result: 'B-ok' });
    const [ship] = await activate('ship-item', 1);
    expect(ship.variables.results).toEqual(['A-ok', 'B-ok (flagged)']);
  });

  it('ends the instance with an incident naming the element when the input collection is not a list', async () => {
    await engine.startProcessInstance({
      definitionKey: 'multi-instance-jobs',
      variables: { items: 'A,B' },
    });
    const [cancelled] = await delivered.until(
      (e): e is Extract<EngineEvent, { type: 'processInstance.cancelled' }> =>
        e.type === 'processInstance.cancelled',
    );
    expect(cancelled.reason).toBe('incident');
    expect(cancelled.error).toContain(
      'checkItems: the inputCollection =items must be a list, but was string',
    );
  });

  it('refuses at deployment multi-instance receive tasks, standard loops and a missing input collection, naming each', async () => {
    const loop = (id: string, element: string, characteristics: string) =>
      `<bpmn:${element} id="${id}">${characteristics}</bpmn:${element}>`;
    const multi = (attributes: string) =>
      `<bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements><zeebe:loopCharacteristics ${attributes} /></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>`;
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t">
  <bpmn:process id="refused-loops" isExecutable="true">
    <bpmn:startEvent id="start" />
    ${loop('receive', 'receiveTask', multi('inputCollection="=items"'))}
    ${loop('standard', 'task', '<bpmn:standardLoopCharacteristics />')}
    ${loop('noItems', 'manualTask', multi('inputElement="item"'))}
  </bpmn:process>
</bpmn:definitions>`;
    const error = await engine.deploy({ xml, resourceName: 'refused-loops.bpmn' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EngineError);
    const reasons = (id: string) =>
      (error as EngineError).details.filter((d) => d.elementId === id).map((d) => d.reason);
    expect(reasons('receive')).toContainEqual(
      expect.stringMatching(/multi-instance is not supported on bpmn:ReceiveTask/),
    );
    expect(reasons('standard')).toEqual([expect.stringMatching(/standard loops are not supported/)]);
    expect(reasons('noItems')).toEqual([
      expect.stringMatching(/needs zeebe:loopCharacteristics inputCollection/),
    ]);
  });
});
