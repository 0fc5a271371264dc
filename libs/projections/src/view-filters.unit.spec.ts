import { describe, expect, it } from '@jest/globals';
import { compilePayloadCondition } from './view-filters';
import { ViewQueryError } from './view-store.port';

describe('payload conditions', () => {
  it.each(['__proto__', 'constructor', 'prototype', 'order.__proto__', 'a.constructor.name'])(
    'refuse the reserved path %s, naming the field',
    (path) => {
      const compile = () => compilePayloadCondition({ path, op: 'EQ', value: {} }, 'filter.payload[0]');
      expect(compile).toThrow(ViewQueryError);
      expect(compile).toThrow(/^filter\.payload\[0\]\.path: '(__proto__|constructor|prototype)' is reserved/);
    },
  );

  it('read only what the payload itself holds, never what its prototype has', () => {
    const matches = compilePayloadCondition({ path: 'toString', op: 'NE', value: null }, 'filter.payload[0]');
    expect(matches({})).toBe(false);
    expect(matches({ toString: 'x' })).toBe(true);
  });
});
