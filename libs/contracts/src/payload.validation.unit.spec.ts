import { describe, expect, it } from '@jest/globals';
import { aCreateTaskCommand } from '@eddy/testing';
import { parseCommand, validateCommand } from './commands';
import { payloadSchema } from './common.schema';
import { payloadProblem } from './payload.validation';

/** An object nested `levels` deep: `{ a: { a: ... {} } }`. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}

const createTask = (payload: unknown) => aCreateTaskCommand('c-1', 't-1', { payload });
const refusal = (input: unknown, limits?: { maxPayloadDepth: number }) => {
  const result = parseCommand(input, limits);
  if (result.ok) throw new Error('expected a refusal');
  return result.error;
};

describe('payloadProblem', () => {
  it('accepts values up to the depth limit and refuses one level more', () => {
    expect(payloadProblem(nested(64))).toBeNull();
    expect(payloadProblem(nested(65))).toEqual({
      path: [],
      problem: 'must be nested at most 64 levels deep',
    });
    expect(payloadProblem({ list: [[[1]]] }, 4)).toBeNull();
    expect(payloadProblem({ list: [[[{}]]] }, 4)).not.toBeNull();
  });

  it('walks 100,000 levels without overflowing the stack', () => {
    expect(payloadProblem(nested(100_000))?.problem).toMatch(/64 levels/);
    expect(payloadProblem(nested(100_000), Number.POSITIVE_INFINITY)).toBeNull();
  });

  it('refuses __proto__, constructor and prototype as keys at any level, with their path', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const top = JSON.parse(`{"${key}": {"x": 1}}`) as unknown;
      expect(payloadProblem(top)).toMatchObject({ path: [key], problem: expect.stringContaining(key) });
      const deep = JSON.parse(`{"order": {"lines": [{"${key}": 1}]}}`) as unknown;
      expect(payloadProblem(deep)).toMatchObject({ path: ['order', 'lines', 0, key] });
    }
    expect(payloadProblem({ proto: 1, constructors: [], __proto: {} })).toBeNull();
  });
});

describe('payload checks of commands', () => {
  it('refuses a payload nested deeper than the limit, naming the field', () => {
    expect(refusal(createTask(nested(6_000)))).toEqual({
      code: 'INVALID_COMMAND',
      path: 'data.payload',
      message: 'data.payload: must be nested at most 64 levels deep',
    });
    expect(parseCommand(createTask(nested(64))).ok).toBe(true);
  });

  it('takes the limit from the caller', () => {
    expect(refusal(createTask(nested(4)), { maxPayloadDepth: 3 }).path).toBe('data.payload');
    expect(parseCommand(createTask(nested(100)), { maxPayloadDepth: 100 }).ok).toBe(true);
  });

  it('refuses a reserved key in a payload, at the top or nested, instead of dropping it', () => {
    expect(refusal(createTask(JSON.parse('{"__proto__": {"admin": true}}')))).toMatchObject({
      path: 'data.payload.__proto__',
    });
    expect(refusal(createTask(JSON.parse('{"a": {"constructor": {"prototype": 1}}}')))).toMatchObject({
      path: 'data.payload.a.constructor',
    });
  });

  it('checks variables of commands built in process, with paths after the given prefix', () => {
    const complete = (variables: Record<string, unknown>) =>
      ({
        type: 'CompleteTaskInteraction',
        data: { id: 't-1', assignee: 'anna', variables },
      }) as const;
    expect(validateCommand(complete({ approved: true }))).toBeNull();
    expect(validateCommand(complete(nested(65)), undefined, [])).toMatchObject({
      code: 'INVALID_COMMAND',
      path: 'variables',
    });
    expect(
      validateCommand(complete(JSON.parse('{"prototype": 1}') as Record<string, unknown>)),
    ).toMatchObject({ path: 'data.variables.prototype' });
  });

  it('payloadSchema refuses reserved keys itself, for callers that parse with the schemas', () => {
    const parsed = payloadSchema.safeParse(JSON.parse('{"__proto__": {"x": 1}}'));
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0].path).toEqual(['__proto__']);
  });
});
