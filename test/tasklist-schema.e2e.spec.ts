import {
  buildClientSchema,
  buildSchema,
  getIntrospectionQuery,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLNamedType,
  type GraphQLSchema,
  type IntrospectionQuery,
} from 'graphql';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TasklistHarness } from './support/tasklist-harness';

/** The public contract lives beside the repository (`../shared/api/tasklist.graphql`). */
const CONTRACT = resolve(__dirname, '../../shared/api/tasklist.graphql');

/** Every type, field, argument and enum value of `contract` that `served` lacks or types differently. */
function differences(contract: GraphQLSchema, served: GraphQLSchema): string[] {
  const problems: string[] = [];
  const kind = (t: GraphQLNamedType) =>
    isObjectType(t)
      ? 'object'
      : isInputObjectType(t)
        ? 'input'
        : isEnumType(t)
          ? 'enum'
          : isScalarType(t)
            ? 'scalar'
            : isInterfaceType(t)
              ? 'interface'
              : isUnionType(t)
                ? 'union'
                : 'unknown';
  for (const [name, expected] of Object.entries(contract.getTypeMap())) {
    if (name.startsWith('__')) continue;
    const actual = served.getType(name);
    if (!actual) {
      problems.push(`type ${name} is missing`);
      continue;
    }
    if (kind(expected) !== kind(actual)) {
      problems.push(`type ${name} is ${kind(actual)}, contract says ${kind(expected)}`);
      continue;
    }
    if (isEnumType(expected) && isEnumType(actual)) {
      const values = new Set(actual.getValues().map((v) => v.name));
      for (const v of expected.getValues())
        if (!values.has(v.name)) problems.push(`enum value ${name}.${v.name} is missing`);
    }
    if (
      (isObjectType(expected) && isObjectType(actual)) ||
      (isInputObjectType(expected) && isInputObjectType(actual))
    ) {
      const actualFields = actual.getFields();
      for (const [fieldName, field] of Object.entries(expected.getFields())) {
        const served = actualFields[fieldName];
        if (!served) {
          problems.push(`field ${name}.${fieldName} is missing`);
          continue;
        }
        if (String(served.type) !== String(field.type)) {
          problems.push(
            `field ${name}.${fieldName} is ${String(served.type)}, contract says ${String(field.type)}`,
          );
        }
        if (
          'defaultValue' in field &&
          'defaultValue' in served &&
          field.defaultValue !== served.defaultValue
        ) {
          problems.push(`input field ${name}.${fieldName} defaults to ${String(served.defaultValue)}`);
        }
        if ('args' in field && 'args' in served) {
          for (const arg of field.args) {
            const servedArg = served.args.find((a) => a.name === arg.name);
            if (!servedArg) problems.push(`argument ${name}.${fieldName}(${arg.name}) is missing`);
            else {
              if (String(servedArg.type) !== String(arg.type)) {
                problems.push(
                  `argument ${name}.${fieldName}(${arg.name}) is ${String(servedArg.type)}, contract says ${String(arg.type)}`,
                );
              }
              if (JSON.stringify(servedArg.defaultValue) !== JSON.stringify(arg.defaultValue)) {
                problems.push(`argument ${name}.${fieldName}(${arg.name}) defaults differently`);
              }
            }
          }
          // An argument the contract does not know must be optional, or contract clients break.
          for (const extra of served.args) {
            if (
              !field.args.some((a: { name: string }) => a.name === extra.name) &&
              String(extra.type).endsWith('!')
            ) {
              problems.push(
                `argument ${name}.${fieldName}(${extra.name}) is required but not in the contract`,
              );
            }
          }
        }
      }
    }
  }
  for (const root of ['Query', 'Mutation', 'Subscription'] as const) {
    const expected =
      root === 'Query'
        ? contract.getQueryType()
        : root === 'Mutation'
          ? contract.getMutationType()
          : contract.getSubscriptionType();
    const actual =
      root === 'Query'
        ? served.getQueryType()
        : root === 'Mutation'
          ? served.getMutationType()
          : served.getSubscriptionType();
    if (expected && actual?.name !== expected.name) problems.push(`${root} root type is ${actual?.name}`);
  }
  return problems;
}

describe('tasklist schema', () => {
  let harness: TasklistHarness;

  beforeAll(async () => {
    harness = await TasklistHarness.start();
  });
  afterAll(async () => harness?.close());

  it('serves every type, field, argument and enum value of the contract with the same types', async () => {
    if (!existsSync(CONTRACT)) throw new Error(`the contract ${CONTRACT} is missing: the compare cannot run`);
    const contract = buildSchema(readFileSync(CONTRACT, 'utf8'));
    const answer = await harness.graphql<IntrospectionQuery>(
      getIntrospectionQuery(),
      {},
      await harness.as('alice'),
    );
    expect(answer.errors).toBeUndefined();
    const served = buildClientSchema(answer.data!);
    expect(differences(contract, served)).toEqual([]);
  });

  it('notices a schema that lacks or changes something (the compare itself can fail)', () => {
    const contract = buildSchema(readFileSync(CONTRACT, 'utf8'));
    const broken = buildSchema(
      readFileSync(CONTRACT, 'utf8')
        .replace('  deferred: Boolean!\n', '')
        .replace('  GTE\n', '')
        .replace(
          'first: Int = 50, after: String): TaskConnection!',
          'first: Int!, after: String): TaskConnection!',
        ),
    );
    expect(differences(contract, broken)).toEqual(
      expect.arrayContaining([
        'field Task.deferred is missing',
        'enum value FilterOperator.GTE is missing',
        'argument Query.tasks(first) is Int!, contract says Int',
      ]),
    );
  });

  it('answers `me` for an authenticated caller and refuses an anonymous one with UNAUTHENTICATED', async () => {
    const me = await harness.graphql('{ me { id groups } }', {}, await harness.as('alice', ['sales']));
    expect(me.data).toEqual({ me: { id: 'alice', groups: ['sales'] } });
    const anonymous = await harness.graphql('{ me { id } }');
    expect(anonymous.status).toBe(401);
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});
