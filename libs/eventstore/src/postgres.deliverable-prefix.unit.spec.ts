import { describe, expect, it } from '@jest/globals';
import { deliverablePrefix, type PositionedRow } from './postgres.deliverable-prefix';

const rows = (...pairs: Array<[number, number]>): PositionedRow[] =>
  pairs.map(([position, tx]) => ({ position, transactionId: BigInt(tx) }));

describe('deliverablePrefix', () => {
  it('delivers contiguous positions whatever is running', () => {
    expect(deliverablePrefix(rows([1, 10], [2, 10], [3, 12]), 0, undefined, [5n, 11n, 20n])).toBe(3);
  });

  it('stops before a hole whose writer may still be running', () => {
    // Position 3 was taken by transaction 11, which has not committed.
    expect(deliverablePrefix(rows([1, 10], [2, 10], [4, 12]), 0, undefined, [11n])).toBe(2);
  });

  it('passes a hole once no transaction in its id range runs', () => {
    expect(deliverablePrefix(rows([1, 10], [2, 10], [4, 12]), 0, undefined, [])).toBe(3);
    // Transactions outside (10, 12) cannot hold position 3.
    expect(deliverablePrefix(rows([1, 10], [2, 10], [4, 12]), 0, undefined, [3n, 12n, 40n])).toBe(3);
  });

  it('bounds a hole right after the checkpoint by the last row at or before it', () => {
    expect(deliverablePrefix(rows([7, 30]), 5, 20n, [25n])).toBe(0);
    expect(deliverablePrefix(rows([7, 30]), 5, 20n, [15n])).toBe(1);
    // With nothing before the checkpoint, any older running transaction may hold the hole.
    expect(deliverablePrefix(rows([7, 30]), 5, undefined, [15n])).toBe(0);
  });
});
