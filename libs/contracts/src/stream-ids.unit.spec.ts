import fc from 'fast-check';
import { describe, expect, it } from '@jest/globals';
import { dataEntryId, dataEntryStreamId } from './data-entry.commands';
import { processDefinitionStreamId, processInstanceStreamId } from './process.commands';
import { taskStreamId } from './task.commands';

// Parts drawn mostly from the characters that separate or encode, so that near-collisions are tried often.
const part = fc.string({ unit: fc.constantFrom('a', 'b', '-', '/', '#', '%', '2', 'F', '3'), maxLength: 8 });
const ordinaryPart = fc.stringMatching(/^[A-Za-z0-9._:@+-]{1,12}$/);

/** Every aggregate's stream id as a function of a tuple of parts. */
const aggregates: [string, (parts: string[]) => string, number][] = [
  ['task', ([id]) => taskStreamId(id), 1],
  ['process definition', ([id]) => processDefinitionStreamId(id), 1],
  ['process instance', ([app, id]) => processInstanceStreamId(app, id), 2],
  ['data entry', ([type, id]) => dataEntryStreamId(type, id), 2],
];
const anyStream = fc
  .integer({ min: 0, max: aggregates.length - 1 })
  .chain((a) =>
    fc.tuple(fc.constant(a), fc.array(part, { minLength: aggregates[a][2], maxLength: aggregates[a][2] })),
  );
/**
 * Two part pairs that a plain join would mix up: `p<sep>q` and `r` against `p` and `q<sep>r`, as in the
 * attack of one application on another's instance (`coll-X/y` + `1` against `coll-X` + `y/1`).
 */
const shiftedPairs = fc
  .tuple(part, part, part, fc.constantFrom('/', '#', '%2F', '%23'))
  .map(([p, q, r, sep]) => [
    [`${p}${sep}${q}`, r],
    [p, `${q}${sep}${r}`],
  ]);
const twoPartStreams = fc.integer({ min: 2, max: 3 }).chain((a) =>
  shiftedPairs.map(([x, y]) => [
    [a, x],
    [a, y],
  ]),
);
const streamPairs = fc.oneof(fc.tuple(anyStream, anyStream), twoPartStreams) as fc.Arbitrary<
  [[number, string[]], [number, string[]]]
>;

describe('stream ids', () => {
  it('distinct parts of any aggregates never give the same stream id', () => {
    fc.assert(
      fc.property(streamPairs, ([[a, aParts], [b, bParts]]) => {
        fc.pre(a !== b || aParts.some((p, i) => p !== bParts[i]));
        expect(aggregates[a][1](aParts)).not.toBe(aggregates[b][1](bParts));
      }),
      { numRuns: 10_000 },
    );
  });

  it('distinct parts never give the same data entry identity', () => {
    fc.assert(
      fc.property(fc.oneof(fc.tuple(fc.tuple(part, part), fc.tuple(part, part)), shiftedPairs), ([x, y]) => {
        fc.pre(x[0] !== y[0] || x[1] !== y[1]);
        expect(dataEntryId(x[0], x[1])).not.toBe(dataEntryId(y[0], y[1]));
      }),
      { numRuns: 10_000 },
    );
  });

  it('keeps the ids of ordinary parts as they always were, so existing stores keep working', () => {
    fc.assert(
      fc.property(ordinaryPart, ordinaryPart, (a, b) => {
        expect(taskStreamId(a)).toBe(`task-${a}`);
        expect(processDefinitionStreamId(a)).toBe(`process-definition-${a}`);
        expect(processInstanceStreamId(a, b)).toBe(`process-instance-${a}/${b}`);
        expect(dataEntryStreamId(a, b)).toBe(`data-entry-${a}#${b}`);
      }),
    );
  });

  it('encodes a separator and the escape character inside a part', () => {
    expect(processInstanceStreamId('coll-X/y', '1')).toBe('process-instance-coll-X%2Fy/1');
    expect(processInstanceStreamId('coll-X', 'y/1')).toBe('process-instance-coll-X/y%2F1');
    expect(processInstanceStreamId('a%2F', 'b')).toBe('process-instance-a%252F/b');
    expect(dataEntryId('order#1', '2')).toBe('order%231#2');
  });
});
