import { describe, expect, it } from '@jest/globals';
import { checkFeelSyntax, evaluateFeel } from './feel';

describe('FEEL as Camunda 8 has it', () => {
  const variables = { amount: 1200, text: '1200', name: ' Ada ', list: [1, 2, 3, 2], nothing: null };

  it.each([
    ['=is defined(amount)', true],
    ['=is defined(missing)', false],
    ['=is defined(nothing)', false],
    ['=is defined(amount.cents)', false],
    ['=get or else(missing, "none")', 'none'],
    ['=get or else(amount, 0)', 1200],
    ['=trim(name)', 'Ada'],
    ['=is blank("  ")', true],
    ['=is empty([])', true],
    ['=partition([1,2,3], 2)', [[1, 2], [3]]],
    ['=duplicate values(list)', [2]],
    ['=to base64("Eddy")', 'RWRkeQ=='],
    ['=assert(amount, amount > 0)', 1200],
  ])('%s is %j', (expression, expected) => {
    expect(evaluateFeel(expression, variables)).toEqual(expected);
  });

  it('compares values of different types as null, and values of one type as usual', () => {
    expect(evaluateFeel('=text > 1000', variables)).toBeNull();
    expect(evaluateFeel('="1200" < 1000', variables)).toBeNull();
    expect(evaluateFeel('=amount > "1000"', variables)).toBeNull();
    expect(evaluateFeel('=amount > 1000', variables)).toBe(true);
    expect(evaluateFeel('=text > "1000"', variables)).toBe(true);
    expect(evaluateFeel('=date("2024-02-01") > date("2024-01-01")', variables)).toBe(true);
  });

  it('reads string literals that span lines', () => {
    expect(evaluateFeel('="Dear " + trim(name) + ",\nthank you."', variables)).toBe('Dear Ada,\nthank you.');
    expect(() => checkFeelSyntax('="first line\nsecond line"')).not.toThrow();
  });

  it('parses the built-ins whose names hold keywords at deployment', () => {
    expect(() => checkFeelSyntax('=get or else(x, 1)')).not.toThrow();
    expect(() => checkFeelSyntax('=is defined(x) and x > 1')).not.toThrow();
  });

  it('a random number and a uuid are of their kind', () => {
    const n = evaluateFeel('=random number()', {});
    expect(typeof n === 'number' && n >= 0 && n < 1).toBe(true);
    expect(evaluateFeel('=uuid()', {})).toMatch(/^[0-9a-f-]{36}$/);
  });
});
