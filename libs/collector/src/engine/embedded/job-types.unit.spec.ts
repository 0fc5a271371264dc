import { describe, expect, it } from '@jest/globals';
import { jobTypeProblem, resolveJobType } from './job-types';

describe('job types', () => {
  it('evaluates a FEEL job type against the variables and keeps a literal', () => {
    expect(resolveJobType('Charge', '="payment-" + provider', { provider: 'stripe' })).toBe('payment-stripe');
    expect(resolveJobType('Charge', 'payment', {})).toBe('payment');
  });

  it('names the element when the type is not a string', () => {
    expect(() => resolveJobType('Charge', '=provider', {})).toThrow(
      'Charge: zeebe:taskDefinition type =provider is null',
    );
    expect(() => resolveJobType('Charge', '=42', {})).toThrow(/is 42, not a job type/);
  });

  it('checks a type at deployment', () => {
    expect(jobTypeProblem('payment')).toBeNull();
    expect(jobTypeProblem('="a" + b')).toBeNull();
    expect(jobTypeProblem('=(')).toMatch(/not valid FEEL/);
    expect(jobTypeProblem('')).toMatch(/needs a type/);
  });
});
