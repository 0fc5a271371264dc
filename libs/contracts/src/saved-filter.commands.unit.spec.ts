import { describe, expect, it } from '@jest/globals';
import { parseCommand, validateCommand } from './commands';
import type { SavedFilterCommand } from './saved-filter.commands';

const save = (data: Record<string, unknown>): SavedFilterCommand =>
  ({
    type: 'SaveFilter',
    data: { id: 'f-1', owner: 'anna', name: 'Mine', filter: { assignedToMe: true }, ...data },
  }) as SavedFilterCommand;

describe('saved filter commands', () => {
  it('accepts a valid save, update, share and delete', () => {
    expect(validateCommand(save({ sort: [{ field: 'DUE_DATE', direction: 'DESC' }] }))).toBeNull();
    expect(validateCommand({ type: 'UpdateFilter', data: { id: 'f-1', name: 'Other' } })).toBeNull();
    expect(validateCommand({ type: 'ShareFilter', data: { id: 'f-1', groups: [] } })).toBeNull();
    expect(validateCommand({ type: 'DeleteFilter', data: { id: 'f-1' } })).toBeNull();
  });

  it.each([
    ['an empty name', { name: '' }, 'data.name', 'must not be blank'],
    ['a blank name', { name: '   ' }, 'data.name', 'must not be blank'],
    ['a name over 200 characters', { name: 'x'.repeat(201) }, 'data.name', 'must be at most 200 characters'],
    ['a name with a line break', { name: 'a\nb' }, 'data.name', 'must be on one line'],
    ['a name with a control character', { name: 'a\u0007b' }, 'data.name', 'control character U+0007'],
    ['a filter that is not an object', { filter: [1] }, 'data.filter', ''],
    ['a filter with a reserved key', { filter: { ['__proto__']: 1 } }, 'data.filter.__proto__', ''],
    ['a huge filter', { filter: { text: 'x'.repeat(16_001) } }, 'data.filter', 'at most 16000 characters'],
    ['a bad sort direction', { sort: [{ field: 'NAME', direction: 'UP' }] }, 'data.sort.0.direction', ''],
    ['an unknown field', { colour: 'red' }, 'data', ''],
  ])('refuses %s naming the field', (_what, data, path, message) => {
    const error = validateCommand(save(data as Record<string, unknown>));
    expect(error).toMatchObject({ code: 'INVALID_COMMAND', path });
    expect(error!.message).toContain(message);
  });

  it('refuses an update that changes nothing, and a share with too many groups', () => {
    expect(validateCommand({ type: 'UpdateFilter', data: { id: 'f-1' } })).toMatchObject({
      path: 'data.name',
    });
    const groups = Array.from({ length: 101 }, (_, i) => `g${i}`);
    expect(validateCommand({ type: 'ShareFilter', data: { id: 'f-1', groups } })).toMatchObject({
      path: 'data.groups',
    });
  });

  it('is not accepted from process applications: the command API knows no such type', () => {
    const parsed = parseCommand({ type: 'SaveFilter', commandId: 'c-1', data: save({}).data });
    expect(parsed).toMatchObject({ ok: false, error: { code: 'UNKNOWN_COMMAND_TYPE', path: 'type' } });
  });
});
