import { describe, expect, it } from '@jest/globals';
import { toIsoInstant } from './date-time';

describe('toIsoInstant', () => {
  it.each([
    ['2026-11-25T01:40:26.752@Europe/Berlin', '2026-11-25T00:40:26.752Z'],
    ['2026-07-01T12:00:00@Europe/Berlin', '2026-07-01T10:00:00.000Z'],
    ['2026-03-29T03:30:00@Europe/Berlin', '2026-03-29T01:30:00.000Z'],
    ['2026-11-25T00:40:26.752Z[Etc/UTC]', '2026-11-25T00:40:26.752Z'],
    ['2026-11-25T09:00:00[America/New_York]', '2026-11-25T14:00:00.000Z'],
    ['2026-11-25T10:00:00+02:00', '2026-11-25T08:00:00.000Z'],
    ['2026-11-25T10:00:00Z', '2026-11-25T10:00:00.000Z'],
  ])('reads %s as %s', (input, expected) => {
    expect(toIsoInstant(input)).toBe(expected);
  });

  it.each([[''], ['tomorrow'], [42], [null], ['2026-11-25T10:00:00@Not/AZone']])(
    'gives null for %o',
    (input) => {
      expect(toIsoInstant(input)).toBeNull();
    },
  );
});
