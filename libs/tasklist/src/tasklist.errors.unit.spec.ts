import { describe, expect, it } from '@jest/globals';
import { commandRejected } from './tasklist.errors';

describe('tasklist errors of rejected commands', () => {
  it.each([
    ['FILTER_NOT_FOUND', 'NOT_FOUND'],
    ['FILTER_EXISTS', 'CONFLICT'],
    ['TASK_CLOSED', 'CONFLICT'],
    ['SOMETHING_NEW', 'INTERNAL_SERVER_ERROR'],
  ])('answers the core code %s as %s, with the code as reason and the field renamed', (code, expected) => {
    const error = commandRejected(
      { code, message: 'data.id: saved filter f-1 does not exist', path: 'data.id' },
      { 'data.id': 'id' },
    );
    expect(error.extensions).toMatchObject({ code: expected, reason: code, field: 'id' });
    expect(error.message).toBe('id: saved filter f-1 does not exist');
  });
});
