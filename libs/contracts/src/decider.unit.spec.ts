import { describe, expect, it } from '@jest/globals';
import { distinct, foldEvents, jsonEquals, sameInstant, type Decider } from './decider';

describe('decider helpers', () => {
  it('jsonEquals compares structure, ignoring key order but not array order', () => {
    expect(jsonEquals({ a: 1, b: { c: [1, { d: null }] } }, { b: { c: [1, { d: null }] }, a: 1 })).toBe(true);
    expect(jsonEquals({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(jsonEquals({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(jsonEquals({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(jsonEquals([], {})).toBe(false);
    expect(jsonEquals(null, {})).toBe(false);
    expect(jsonEquals('1', 1)).toBe(false);
  });

  it('sameInstant compares date-times as instants', () => {
    expect(sameInstant('2026-01-01T10:00:00Z', '2026-01-01T11:00:00.000+01:00')).toBe(true);
    expect(sameInstant('2026-01-01T10:00:00Z', '2026-01-01T10:00:01Z')).toBe(false);
    expect(sameInstant(null, undefined)).toBe(true);
    expect(sameInstant(null, '2026-01-01T10:00:00Z')).toBe(false);
  });

  it('distinct keeps the first occurrence of each value', () => {
    expect(distinct(['b', 'a', 'b', 'c', 'a'])).toEqual(['b', 'a', 'c']);
  });

  it('foldEvents evolves from the initial state or a given one', () => {
    const counter: Decider<number, number, number> = {
      decide: (command) => [command],
      evolve: (state, event) => state * 10 + event,
      initialState: () => 0,
    };
    expect(foldEvents(counter, [1, 2, 3])).toBe(123);
    expect(foldEvents(counter, [4], 5)).toBe(54);
  });
});
