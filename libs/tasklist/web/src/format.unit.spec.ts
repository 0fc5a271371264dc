import { describe, expect, it } from '@jest/globals';
import { parseVariables } from './format';

describe('parseVariables', () => {
  it('reads an object, and nothing as no variables', () => {
    expect(parseVariables('{"approved": true}', 'variables')).toEqual({ approved: true });
    expect(parseVariables('  ', 'variables')).toEqual({});
  });

  it.each(['{approved: true}', '[1]', '42', 'null'])('refuses %s naming the field', (text) => {
    expect(() => parseVariables(text, 'variables')).toThrow(/^variables: /);
  });
});
