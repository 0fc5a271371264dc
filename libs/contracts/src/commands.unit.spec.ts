import { describe, expect, it } from '@jest/globals';
import { commandTypes, parseCommand, type ApiCommandType as CommandType } from './commands';

const sourceReference = {
  type: 'process',
  instanceId: 'pi-1',
  executionId: 'ex-1',
  definitionId: 'order:1:abc',
  definitionKey: 'order',
  name: 'Order',
  applicationName: 'shop',
  tenantId: 'tenant-a',
};

/** One valid `data` for every command type: the test below fails when a new type has none. */
const validData: Record<CommandType, Record<string, unknown>> = {
  CreateTask: {
    id: 'task-1',
    name: 'Approve order',
    taskDefinitionKey: 'approve',
    sourceReference,
    description: 'check it',
    formKey: 'forms/approve',
    priority: 50,
    createTime: '2026-01-01T08:00:00Z',
    dueDate: '2026-01-10T00:00:00+01:00',
    followUpDate: '2026-01-05T00:00:00.000Z',
    assignee: 'anna',
    owner: 'olga',
    candidateUsers: ['anna', 'bert'],
    candidateGroups: ['clerks'],
    businessKey: 'order-17',
    payload: { amount: 10, nested: { ok: true } },
    correlations: [{ entryType: 'order', entryId: '17' }],
  },
  AssignTask: { id: 'task-1', assignee: null },
  UpdateTaskAttributes: { id: 'task-1', description: null, priority: 3, payload: {} },
  AddCandidateUsers: { id: 'task-1', users: ['anna'] },
  DeleteCandidateUsers: { id: 'task-1', users: ['anna'] },
  AddCandidateGroups: { id: 'task-1', groups: ['clerks'] },
  DeleteCandidateGroups: { id: 'task-1', groups: ['clerks'] },
  CompleteTask: { id: 'task-1', assignee: 'anna' },
  DeleteTask: { id: 'task-1', deleteReason: 'obsolete' },
  ClaimTask: { id: 'task-1', assignee: 'anna' },
  UnclaimTask: { id: 'task-1' },
  CompleteTaskInteraction: { id: 'task-1', assignee: 'anna', variables: { approved: true } },
  DeferTask: { id: 'task-1', followUpDate: '2026-02-01T00:00:00Z' },
  UndeferTask: { id: 'task-1' },
  DelegateTask: { id: 'task-1', assignee: 'bert' },
  RequestProcessInstanceCancellation: { sourceReference, reason: 'not needed any more' },
  EditTask: { id: 'task-1', priority: 80, dueDate: '2026-02-01T00:00:00Z', followUpDate: null },

  AddTaskComment: { id: 'task-1', author: 'anna', text: 'Checked.\nAmount\tok.' },
  CreateOrUpdateDataEntry: {
    entryType: 'order',
    entryId: '17',
    type: 'Order',
    name: 'Order 17',
    applicationName: 'shop',
    description: 'an order',
    formKey: 'forms/order',
    state: { processingType: 'IN_PROGRESS', state: 'submitted' },
    payload: { amount: 10 },
    correlations: [{ entryType: 'customer', entryId: 'c-1' }],
    authorizations: [{ kind: 'ADD_USER', principal: 'anna' }],
    modification: { time: '2026-01-01T08:00:00Z', username: 'anna', log: 'created', logNotes: 'by hand' },
  },
  DeleteDataEntry: { entryType: 'order', entryId: '17', modification: { log: 'obsolete' } },
  AnonymizeDataEntry: {
    entryType: 'order',
    entryId: '17',
    anonymizedUsername: 'anonymous',
    excludedUsernames: [],
  },
  RegisterProcessDefinition: {
    id: 'order:1:abc',
    key: 'order',
    version: 1,
    name: 'Order',
    applicationName: 'shop',
    startableFromTasklist: true,
    candidateStarterGroups: ['clerks'],
  },
  StartProcessInstance: { sourceReference, businessKey: 'order-17', startUserId: 'anna' },
  FinishProcessInstance: { sourceReference },
  CancelProcessInstance: { sourceReference, reason: 'no longer needed' },
  SuspendProcessInstance: { sourceReference },
  ResumeProcessInstance: { sourceReference },
  ChangeProcessVariables: { sourceReference, variables: { amount: 11, note: null } },
};

const envelope = (type: string, data: unknown) => ({ type, commandId: 'cmd-1', data });

/** Parses and returns the error, failing the test when the command is accepted. */
function refusal(input: unknown) {
  const result = parseCommand(input);
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.command)}`);
  return result;
}

describe('parseCommand: valid commands', () => {
  it('knows an example for every command type', () => {
    expect(Object.keys(validData).sort()).toEqual([...commandTypes].sort());
  });

  it.each(commandTypes)('accepts a valid %s', (type) => {
    const result = parseCommand(envelope(type, validData[type]));
    expect(result).toEqual({ ok: true, commandId: 'cmd-1', command: { type, data: validData[type] } });
  });
});

describe('parseCommand: envelopes', () => {
  it.each([
    ['null', null, undefined],
    ['a string', 'CreateTask', undefined],
    ['an array', [], undefined],
    ['no type', { commandId: 'cmd-1', data: {} }, 'type'],
    ['an empty type', { type: '', commandId: 'cmd-1', data: {} }, 'type'],
    ['a numeric type', { type: 7, commandId: 'cmd-1', data: {} }, 'type'],
    ['no command id', { type: 'UnclaimTask', data: {} }, 'commandId'],
    ['a command id with a space', { type: 'UnclaimTask', commandId: 'cmd 1', data: {} }, 'commandId'],
    ['a command id too long', { type: 'UnclaimTask', commandId: 'c'.repeat(257), data: {} }, 'commandId'],
    ['an unknown field', { type: 'UnclaimTask', commandId: 'cmd-1', data: {}, extra: 1 }, undefined],
  ])('refuses an envelope with %s', (_what, input, path) => {
    const { error } = refusal(input);
    expect(error.code).toBe('INVALID_COMMAND');
    expect(error.path).toBe(path);
    expect(error.message).toMatch(path ? new RegExp(`^${path}: `) : /: /);
  });

  it('keeps the command id of a refused envelope when it has one', () => {
    expect(refusal({ type: 5, commandId: 'cmd-9', data: {} }).commandId).toBe('cmd-9');
    expect(refusal({ type: 'X' }).commandId).toBeNull();
  });

  it('refuses an unknown command type, naming it', () => {
    const result = refusal(envelope('ClaimTasks', { id: 'task-1', assignee: 'anna' }));
    expect(result.commandId).toBe('cmd-1');
    expect(result.error).toEqual({
      code: 'UNKNOWN_COMMAND_TYPE',
      message: "type: unknown command type 'ClaimTasks'",
      path: 'type',
    });
  });

  it('refuses inherited property names as command types', () => {
    expect(refusal(envelope('toString', {})).error.code).toBe('UNKNOWN_COMMAND_TYPE');
    expect(refusal(envelope('__proto__', {})).error.code).toBe('UNKNOWN_COMMAND_TYPE');
  });
});

const badField = (type: CommandType, data: Record<string, unknown>, path: string) =>
  [type, path, data] as const;
const without = (type: CommandType, field: string) => {
  const { [field]: _dropped, ...rest } = validData[type];
  return rest;
};

describe('parseCommand: bad fields name their path', () => {
  it.each([
    // task commands
    badField('CreateTask', without('CreateTask', 'name'), 'data.name'),
    badField('CreateTask', { ...validData.CreateTask, id: 'task 1' }, 'data.id'),
    badField('CreateTask', { ...validData.CreateTask, id: 'task#1' }, 'data.id'),
    badField('CreateTask', { ...validData.CreateTask, id: 'täsk' }, 'data.id'),
    badField('CreateTask', { ...validData.CreateTask, id: '' }, 'data.id'),
    badField('CreateTask', { ...validData.CreateTask, priority: 'high' }, 'data.priority'),
    badField('CreateTask', { ...validData.CreateTask, priority: 1.5 }, 'data.priority'),
    badField('CreateTask', { ...validData.CreateTask, dueDate: 'tomorrow' }, 'data.dueDate'),
    badField('CreateTask', { ...validData.CreateTask, dueDate: '2026-02-30T10:00:00Z' }, 'data.dueDate'),
    badField('CreateTask', { ...validData.CreateTask, createTime: '2026-01-01' }, 'data.createTime'),
    badField(
      'CreateTask',
      { ...validData.CreateTask, candidateUsers: ['anna', 'b c'] },
      'data.candidateUsers.1',
    ),
    badField(
      'CreateTask',
      { ...validData.CreateTask, sourceReference: { ...sourceReference, instanceId: undefined } },
      'data.sourceReference.instanceId',
    ),
    badField(
      'CreateTask',
      { ...validData.CreateTask, sourceReference: { ...sourceReference, type: 'job' } },
      'data.sourceReference.type',
    ),
    badField('CreateTask', { ...validData.CreateTask, payload: [1, 2] }, 'data.payload'),
    badField('CreateTask', { ...validData.CreateTask, color: 'red' }, 'data'),
    badField('AssignTask', { id: 'task-1' }, 'data.assignee'),
    badField('AddCandidateUsers', { id: 'task-1', users: [] }, 'data.users'),
    badField('ClaimTask', { id: 'task-1', assignee: 7 }, 'data.assignee'),
    badField('DeferTask', { id: 'task-1', followUpDate: 1767225600000 }, 'data.followUpDate'),
    badField('DeferTask', { id: 'task-1', followUpDate: '2026-13-01T00:00:00Z' }, 'data.followUpDate'),
    badField('AddTaskComment', { id: 'task-1', author: 'anna', text: 'bell\u0007' }, 'data.text'),
    badField('AddTaskComment', { id: 'task-1', author: 'anna', text: 'esc \u001b[31m' }, 'data.text'),
    badField('AddTaskComment', { id: 'task-1', author: 'anna', text: 'rtl \u202e' }, 'data.text'),
    badField('AddTaskComment', { id: 'task-1', author: 'anna', text: ' \n ' }, 'data.text'),
    badField('AddTaskComment', { id: 'task-1', author: 'anna', text: 'x'.repeat(4_001) }, 'data.text'),
    badField('AddTaskComment', { id: 'task-1', text: 'no author' }, 'data.author'),
    // data entry commands
    badField(
      'CreateOrUpdateDataEntry',
      without('CreateOrUpdateDataEntry', 'applicationName'),
      'data.applicationName',
    ),
    badField(
      'CreateOrUpdateDataEntry',
      { ...validData.CreateOrUpdateDataEntry, entryId: 'a#b' },
      'data.entryId',
    ),
    badField(
      'CreateOrUpdateDataEntry',
      { ...validData.CreateOrUpdateDataEntry, state: { processingType: 'DONE' } },
      'data.state.processingType',
    ),
    badField(
      'CreateOrUpdateDataEntry',
      { ...validData.CreateOrUpdateDataEntry, authorizations: [{ kind: 'ADD_ROLE', principal: 'x' }] },
      'data.authorizations.0.kind',
    ),
    badField(
      'CreateOrUpdateDataEntry',
      { ...validData.CreateOrUpdateDataEntry, modification: { time: 'yesterday' } },
      'data.modification.time',
    ),
    badField('AnonymizeDataEntry', { entryType: 'order', entryId: '17' }, 'data.anonymizedUsername'),
    badField('DeleteDataEntry', { entryType: 'order' }, 'data.entryId'),
    // process commands
    badField(
      'RegisterProcessDefinition',
      { ...validData.RegisterProcessDefinition, version: 0 },
      'data.version',
    ),
    badField(
      'RegisterProcessDefinition',
      without('RegisterProcessDefinition', 'startableFromTasklist'),
      'data.startableFromTasklist',
    ),
    badField('StartProcessInstance', {}, 'data.sourceReference'),
    badField(
      'FinishProcessInstance',
      { sourceReference: { ...sourceReference, applicationName: 'shop app' } },
      'data.sourceReference.applicationName',
    ),
    badField('ChangeProcessVariables', { sourceReference, variables: 'amount=1' }, 'data.variables'),
  ])('%s: refuses a bad %s', (type, path, data) => {
    const result = refusal(envelope(type, data));
    expect(result.commandId).toBe('cmd-1');
    expect(result.error.code).toBe('INVALID_COMMAND');
    expect(result.error.path).toBe(path);
    expect(result.error.message.startsWith(`${path}: `)).toBe(true);
  });

  it('checks comments against the configured length, within the hard limit of the schema', () => {
    const comment = (text: string) => envelope('AddTaskComment', { id: 'task-1', author: 'anna', text });
    expect(parseCommand(comment('x'.repeat(20)), { maxPayloadDepth: 8, maxCommentLength: 20 }).ok).toBe(true);
    const over = parseCommand(comment('x'.repeat(21)), { maxPayloadDepth: 8, maxCommentLength: 20 });
    expect(over).toMatchObject({ ok: false, error: { path: 'data.text' } });
    expect(!over.ok && over.error.message).toBe('data.text: must be at most 20 characters');
    const beyond = parseCommand(comment('x'.repeat(10_001)), {
      maxPayloadDepth: 8,
      maxCommentLength: 20_000,
    });
    expect(beyond).toMatchObject({ ok: false, error: { path: 'data.text' } });
  });

  it('names the control character a comment holds', () => {
    const result = refusal(envelope('AddTaskComment', { id: 'task-1', author: 'anna', text: 'a\u0000b' }));
    expect(result.error.message).toBe('data.text: must be plain text: control character U+0000 at index 1');
  });

  it('refuses data that is not an object', () => {
    expect(refusal(envelope('UnclaimTask', 'task-1')).error.path).toBe('data');
    expect(refusal({ type: 'UnclaimTask', commandId: 'cmd-1' }).error.path).toBe('data');
  });
});
