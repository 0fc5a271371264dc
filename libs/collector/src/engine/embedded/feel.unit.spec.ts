import { evaluate } from 'feelin';
import { describe, expect, it } from '@jest/globals';
import { evaluateFeel, resolveAttribute } from './feel';

describe('evaluateFeel', () => {
  const variables = {
    submitter: 'sam',
    amount: 100.5,
    zero: -0,
    approved: false,
    nothing: null,
    now: 'shadowed',
    invoice: { number: 'INV-1' },
    list: ['a', 'b'],
    due: new Date('2030-01-02T03:04:05Z'),
  };

  it.each([
    '=submitter',
    '= submitter ',
    '=amount',
    '=zero',
    '=approved',
    '=nothing',
    '=now',
    '=missing',
    '=invoice',
    '=invoice.number',
    '=list',
    '=due',
    '=true',
    '=null',
    '="Invoice " + invoice.number + " over " + string(amount)',
    '=amount > 50',
  ])('gives what feelin gives for %s', (expression) => {
    const { value } = evaluate(expression.trimStart().slice(1), variables);
    const expected =
      value === null || value === undefined
        ? null
        : typeof value === 'object'
          ? JSON.parse(JSON.stringify(value))
          : value;
    expect(evaluateFeel(expression, variables)).toEqual(expected);
  });

  it('reads a bare variable name from the variables', () => {
    expect(evaluateFeel('=submitter', { submitter: 'kim' })).toBe('kim');
    expect(evaluateFeel('=approved', { approved: true })).toBe(true);
    expect(evaluateFeel('=missing', {})).toBeNull();
  });

  it('keeps literals that do not start with "=" as they are', () => {
    expect(resolveAttribute('accounting', { accounting: 'x' })).toBe('accounting');
    expect(resolveAttribute(undefined, {})).toBeNull();
  });
});
