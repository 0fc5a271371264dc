import { parseIsoDateTime } from '@eddy/contracts';
import type { ValueNode } from 'graphql';
import { graphql } from '../graphql-runtime';

const { GraphQLError, GraphQLScalarType, Kind } = graphql;

function parseDateTime(value: unknown): string {
  // The command API's reading, so that no API rolls 2026-02-31 over into March.
  const instant = parseIsoDateTime(value);
  if (instant === null) {
    throw new GraphQLError(
      `DateTime must be an ISO-8601 date-time with seconds and an offset or Z, got ${JSON.stringify(value)}`,
      { extensions: { code: 'BAD_USER_INPUT' } },
    );
  }
  return instant;
}

/** ISO-8601 date and time. Inputs are normalised to UTC (`2026-11-22T10:00:00.000Z`). */
export const DateTimeScalar = new GraphQLScalarType({
  name: 'DateTime',
  description: 'ISO-8601 date and time with an offset or Z',
  serialize: (value) => (value instanceof Date ? value.toISOString() : String(value)),
  parseValue: parseDateTime,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) {
      throw new GraphQLError('DateTime must be a string', { extensions: { code: 'BAD_USER_INPUT' } });
    }
    return parseDateTime(ast.value);
  },
});

function literalValue(ast: ValueNode, variables: Record<string, unknown> | null | undefined): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map((v) => literalValue(v, variables));
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literalValue(f.value, variables)]));
    case Kind.VARIABLE:
      return variables?.[ast.name.value];
    case Kind.ENUM:
      return ast.value;
    default: {
      const unknown: never = ast;
      throw new GraphQLError(`JSON cannot hold ${(unknown as ValueNode).kind}`);
    }
  }
}

/** Any JSON value (payloads, variables, filter values). */
export const JsonScalar = new GraphQLScalarType({
  name: 'JSON',
  description: 'Any JSON value',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => literalValue(ast, variables),
});
