import { parseIsoDateTime } from '@eddy/contracts';
import { describe, expect, it } from '@jest/globals';
import { graphql } from '../graphql-runtime';
import { DateTimeScalar } from './scalars';

const literal = (value: string) => DateTimeScalar.parseLiteral({ kind: graphql.Kind.STRING, value });

describe('DateTime', () => {
  it.each(['2026-02-31T23:00:00Z', '2025-02-29T10:00:00Z', '2026-04-31T00:00:00Z', '2026-02-28T24:00:00Z'])(
    'refuses the impossible %s as a variable and as a literal instead of rolling it over',
    (value) => {
      expect(() => DateTimeScalar.parseValue(value)).toThrow(/ISO-8601/);
      expect(() => literal(value)).toThrow(/ISO-8601/);
    },
  );

  it.each(['2026-02-28T23:00Z', '2026-02-28', 'tomorrow', '2026-02-28T23:00:00+0100'])(
    'refuses %s',
    (value) => {
      expect(() => DateTimeScalar.parseValue(value)).toThrow(/ISO-8601/);
    },
  );

  it('reads what the command API reads, normalised to UTC', () => {
    for (const value of ['2024-02-29T23:00:00Z', '2026-11-22T10:00:00.5+01:00', '2026-12-31T23:59:59.999Z']) {
      expect(parseIsoDateTime(value)).not.toBeNull();
      expect(DateTimeScalar.parseValue(value)).toBe(parseIsoDateTime(value));
    }
    expect(DateTimeScalar.parseValue('2026-11-22T10:00:00+01:00')).toBe('2026-11-22T09:00:00.000Z');
  });
});
