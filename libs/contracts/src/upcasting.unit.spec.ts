import { describe, expect, it } from '@jest/globals';
import { createUpcaster, eventSchemaVersions, upcastEvent, type UpcasterChain } from './upcasting';

/** A test chain: `ThingRenamed` went from v1 to v3 in two steps. */
const chain: UpcasterChain = {
  ThingRenamed: {
    // v1 -> v2: `title` became `name`.
    1: ({ title, ...rest }) => ({ ...rest, name: title }),
    // v2 -> v3: a `language` was added, defaulting to English.
    2: (data) => ({ ...data, language: 'en' }),
  },
};
const upcast = createUpcaster({ ThingRenamed: 3, ThingDropped: 2 }, chain);

describe('createUpcaster', () => {
  it('brings a v1 event to v3 through both steps, in order', () => {
    const event = { type: 'ThingRenamed', schemaVersion: 1, data: { id: 't-1', title: 'Old' }, position: 4 };
    expect(upcast(event)).toEqual({
      type: 'ThingRenamed',
      schemaVersion: 3,
      data: { id: 't-1', name: 'Old', language: 'en' },
      position: 4,
    });
    // The stored event is not changed.
    expect(event.data).toEqual({ id: 't-1', title: 'Old' });
  });

  it('applies only the remaining step to a v2 event', () => {
    expect(upcast({ type: 'ThingRenamed', schemaVersion: 2, data: { name: 'New' } })).toEqual({
      type: 'ThingRenamed',
      schemaVersion: 3,
      data: { name: 'New', language: 'en' },
    });
  });

  it('returns a current event as it is', () => {
    const event = { type: 'ThingRenamed', schemaVersion: 3, data: { name: 'x', language: 'de' } };
    expect(upcast(event)).toBe(event);
  });

  it('lets an event of an unknown type pass unchanged', () => {
    const event = { type: 'SomethingElse', schemaVersion: 9, data: { a: 1 } };
    expect(upcast(event)).toBe(event);
  });

  it('refuses an event newer than the reader knows', () => {
    expect(() => upcast({ type: 'ThingRenamed', schemaVersion: 4, data: {} })).toThrow(
      /ThingRenamed has schema version 4, newer than the 3/,
    );
  });

  it('refuses an event whose chain misses a step', () => {
    expect(() => upcast({ type: 'ThingDropped', schemaVersion: 1, data: {} })).toThrow(
      /ThingDropped: no upcaster from schema version 1/,
    );
  });
});

describe("Eddy's own upcaster", () => {
  it('knows every event type at version 1 and passes such events unchanged', () => {
    expect(new Set(Object.values(eventSchemaVersions))).toEqual(new Set([1]));
    const event = { type: 'TaskCreated', schemaVersion: 1, data: { id: 't-1' } };
    expect(upcastEvent(event)).toBe(event);
  });
});
