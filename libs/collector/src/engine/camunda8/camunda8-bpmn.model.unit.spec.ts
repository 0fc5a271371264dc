import { describe, expect, it } from '@jest/globals';
import { readProcessModels, withEddyListeners } from './camunda8-bpmn.model';

const ORDER = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t">
  <bpmn:process id="order-fulfilment" name="Order fulfilment" isExecutable="true">
    <bpmn:extensionElements>
      <zeebe:versionTag value="v1" />
      <zeebe:properties><zeebe:property name="eddy:candidateStarterGroups" value="sales, clerks" /></zeebe:properties>
    </bpmn:extensionElements>
    <bpmn:startEvent id="Start"><bpmn:extensionElements><zeebe:formDefinition formKey="start-form" /></bpmn:extensionElements></bpmn:startEvent>
    <bpmn:userTask id="ReviewOrder" name="Review order">
      <bpmn:documentation>Check the order against the customer's credit.</bpmn:documentation>
      <bpmn:extensionElements><zeebe:userTask /><zeebe:assignmentDefinition assignee="=submitter" /></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:subProcess id="Shipping">
      <bpmn:userTask id="ShipOrder" name="Ship order">
        <bpmn:extensionElements>
          <zeebe:userTask />
          <zeebe:properties><zeebe:property name="description" value="Pack and ship" /></zeebe:properties>
        </bpmn:extensionElements>
      </bpmn:userTask>
    </bpmn:subProcess>
  </bpmn:process>
</bpmn:definitions>`;
const TYPES = { userTask: 'eddy-user-task', processInstance: 'eddy-process-instance' };

const withTask = (task: string, processExtras = '') => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">${processExtras}
    <bpmn:startEvent id="s" />${task}
  </bpmn:process>
</bpmn:definitions>`;

describe('readProcessModels', () => {
  it('reads the process, its Eddy properties and its user tasks, those of sub-processes too', async () => {
    const [model] = await readProcessModels(ORDER, 'order-fulfilment.bpmn');
    expect(model).toEqual({
      id: 'order-fulfilment',
      name: 'Order fulfilment',
      versionTag: 'v1',
      formKey: 'start-form',
      startableFromTasklist: true,
      candidateStarterGroups: ['sales', 'clerks'],
      candidateStarterUsers: [],
      userTasks: new Map([
        [
          'ReviewOrder',
          {
            name: 'Review order',
            description: "Check the order against the customer's credit.",
            assignee: '=submitter',
          },
        ],
        ['ShipOrder', { name: 'Ship order', description: 'Pack and ship', assignee: null }],
      ]),
    });
  });

  it('is not startable from the tasklist without a none start event, unless the property says so', async () => {
    const xml = withTask('').replace(
      '<bpmn:startEvent id="s" />',
      '<bpmn:startEvent id="s"><bpmn:timerEventDefinition /></bpmn:startEvent>',
    );
    expect((await readProcessModels(xml, 'p.bpmn'))[0].startableFromTasklist).toBe(false);
  });

  it('names the process and the property of a bad eddy:startableFromTasklist', async () => {
    const xml = withTask(
      '',
      '<bpmn:extensionElements><zeebe:properties><zeebe:property name="eddy:startableFromTasklist" value="yes" /></zeebe:properties></bpmn:extensionElements>',
    );
    await expect(readProcessModels(xml, 'p.bpmn')).rejects.toMatchObject({
      code: 'INVALID_BPMN',
      message: expect.stringContaining('process p property eddy:startableFromTasklist'),
    });
  });

  it('refuses a document that is not BPMN, naming the resource', async () => {
    await expect(readProcessModels('<nope/>', 'broken.bpmn')).rejects.toMatchObject({
      code: 'INVALID_BPMN',
      message: expect.stringContaining('broken.bpmn'),
    });
    await expect(readProcessModels('', 'empty.bpmn')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('withEddyListeners', () => {
  it('adds the five task listeners to every Camunda user task and an end listener to the process', async () => {
    const xml = await withEddyListeners(ORDER, 'order-fulfilment.bpmn', TYPES);
    for (const eventType of ['creating', 'assigning', 'updating', 'completing', 'canceling']) {
      expect(
        xml.match(
          new RegExp(`<zeebe:taskListener eventType="${eventType}" retries="3" type="eddy-user-task"`, 'g'),
        ),
      ).toHaveLength(2);
    }
    expect(xml).not.toContain('eventType="start"');
    expect(xml).toContain(
      '<zeebe:executionListener eventType="end" retries="3" type="eddy-process-instance"',
    );
    // The model is otherwise unchanged.
    const [before] = await readProcessModels(ORDER, 'a');
    const [after] = await readProcessModels(xml, 'a');
    expect(after).toEqual(before);
  });

  it('keeps the listeners of the model and adds nothing the second time', async () => {
    const own = withTask(`
    <bpmn:userTask id="t"><bpmn:extensionElements><zeebe:userTask />
      <zeebe:taskListeners><zeebe:taskListener eventType="completing" type="audit" /></zeebe:taskListeners>
    </bpmn:extensionElements></bpmn:userTask>`);
    const once = await withEddyListeners(own, 'p.bpmn', TYPES);
    const twice = await withEddyListeners(once, 'p.bpmn', TYPES);
    expect(twice).toBe(once);
    expect(once).toContain('type="audit"');
    expect(once.indexOf('type="audit"')).toBeLessThan(once.indexOf('type="eddy-user-task"'));
  });

  it('leaves job-worker user tasks (without zeebe:userTask) alone: Camunda runs no task listeners on them', async () => {
    const xml = await withEddyListeners(withTask('<bpmn:userTask id="t" />'), 'p.bpmn', TYPES);
    expect(xml).not.toContain('eddy-user-task');
    expect(xml).toContain('eddy-process-instance');
  });
});
