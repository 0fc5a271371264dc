import { unaryTest } from 'feelin';
import { EngineError } from '../../engine.errors';
import { type Variables } from '../../engine.port';
import { evaluateFeel } from '../feel';

// dmn-moddle (bpmn-io's reader of DMN 1.3) ships no types; only what is read here is declared.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { DmnModdle } = require('dmn-moddle') as {
  DmnModdle: new () => {
    fromXML(xml: string): Promise<{ rootElement: DmnDefinitions; warnings: unknown[] }>;
  };
};

interface DmnText {
  text?: string;
}
interface DmnDecisionTable {
  $type: 'dmn:DecisionTable';
  hitPolicy?: string;
  aggregation?: string;
  input?: { id: string; label?: string; inputExpression?: DmnText }[];
  output?: { id: string; name?: string; label?: string }[];
  rule?: { id: string; inputEntry?: DmnText[]; outputEntry?: DmnText[] }[];
}
interface DmnDecision {
  $type: string;
  id: string;
  name?: string;
  decisionLogic?: DmnDecisionTable | ({ $type: 'dmn:LiteralExpression' } & DmnText) | { $type: string };
  informationRequirement?: { requiredDecision?: { href?: string } }[];
}
interface DmnDefinitions {
  $type: string;
  drgElement?: DmnDecision[];
}

/** A decision deployed from a DMN resource, ready to evaluate. */
export interface Decision {
  id: string;
  name: string | null;
  resourceName: string;
  /** Ids of the decisions whose results it reads (DMN information requirements). */
  requires: string[];
  /** Evaluates the decision's own logic against variables (the required decisions' results among them). */
  evaluateOwn(variables: Variables): unknown;
}

const HIT_POLICIES = new Set(['UNIQUE', 'FIRST', 'ANY', 'COLLECT', 'RULE ORDER', 'PRIORITY', 'OUTPUT ORDER']);

/**
 * Reads the decisions of a DMN 1.3 resource (decision tables and literal expressions, as Camunda 8 runs them,
 * with FEEL through feelin). Throws `EngineError` `INVALID_DMN` naming the resource and the element.
 */
export async function readDecisions(xml: string, resourceName: string): Promise<Decision[]> {
  let definitions: DmnDefinitions;
  try {
    const result = await new DmnModdle().fromXML(xml);
    definitions = result.rootElement;
  } catch (error) {
    throw new EngineError('INVALID_DMN', `${resourceName}: cannot read the DMN: ${(error as Error).message}`);
  }
  if (definitions?.$type !== 'dmn:Definitions') {
    throw new EngineError('INVALID_DMN', `${resourceName}: not a DMN document (no dmn:definitions)`);
  }
  const decisions = (definitions.drgElement ?? []).filter((e) => e.$type === 'dmn:Decision');
  if (decisions.length === 0) throw new EngineError('INVALID_DMN', `${resourceName}: holds no decision`);
  return decisions.map((decision) => compileDecision(decision, resourceName));
}

function compileDecision(decision: DmnDecision, resourceName: string): Decision {
  const where = `${resourceName}: decision ${decision.id}`;
  const logic = decision.decisionLogic;
  const requires = (decision.informationRequirement ?? [])
    .map((r) => r.requiredDecision?.href?.replace(/^#/, ''))
    .filter((id): id is string => typeof id === 'string' && id !== '');
  const base = { id: decision.id, name: decision.name ?? null, resourceName, requires };
  if (logic?.$type === 'dmn:LiteralExpression') {
    const text = (logic as DmnText).text ?? '';
    const expression = checked(`=${text}`, `${where} literal expression`);
    return { ...base, evaluateOwn: (variables) => evaluateFeel(expression, variables) };
  }
  if (logic?.$type !== 'dmn:DecisionTable') {
    throw new EngineError(
      'INVALID_DMN',
      `${where}: only decision tables and literal expressions are supported`,
    );
  }
  return { ...base, evaluateOwn: decisionTable(logic as DmnDecisionTable, where) };
}

function checked(expression: string, where: string): string {
  try {
    evaluateFeel(expression, {});
  } catch (error) {
    throw new EngineError('INVALID_DMN', `${where} is not valid FEEL: ${(error as Error).message}`);
  }
  return expression;
}

function decisionTable(table: DmnDecisionTable, where: string): (variables: Variables) => unknown {
  const hitPolicy = table.hitPolicy ?? 'UNIQUE';
  if (!HIT_POLICIES.has(hitPolicy) || hitPolicy === 'PRIORITY' || hitPolicy === 'OUTPUT ORDER') {
    throw new EngineError('INVALID_DMN', `${where}: hit policy ${hitPolicy} is not supported`);
  }
  const inputs = (table.input ?? []).map((input) => {
    const text = input.inputExpression?.text?.trim() ?? '';
    if (text === '')
      throw new EngineError('INVALID_DMN', `${where} input ${input.id}: an input expression is required`);
    return checked(`=${text}`, `${where} input ${input.id}`);
  });
  const outputs = (table.output ?? []).map((output) => output.name ?? output.label ?? output.id);
  if (outputs.length === 0)
    throw new EngineError('INVALID_DMN', `${where}: a decision table needs an output`);
  const rules = (table.rule ?? []).map((rule) => {
    const tests = (rule.inputEntry ?? []).map((entry) => entry.text?.trim() || '-');
    if (tests.length !== inputs.length) {
      throw new EngineError(
        'INVALID_DMN',
        `${where} rule ${rule.id}: has ${tests.length} input entries for ${inputs.length} inputs`,
      );
    }
    for (const test of tests) {
      try {
        unaryTest(test, { '?': null });
      } catch (error) {
        throw new EngineError(
          'INVALID_DMN',
          `${where} rule ${rule.id}: input entry "${test}" is not valid FEEL: ${(error as Error).message}`,
        );
      }
    }
    const entries = (rule.outputEntry ?? []).map((entry, i) =>
      entry.text?.trim() ? checked(`=${entry.text}`, `${where} rule ${rule.id} output ${outputs[i]}`) : null,
    );
    return { id: rule.id, tests, entries };
  });

  return (variables) => {
    const values = inputs.map((expression) => evaluateFeel(expression, variables));
    const matched = rules.filter((rule) =>
      rule.tests.every(
        (test, i) => test === '-' || unaryTest(test, { ...variables, '?': values[i] }).value === true,
      ),
    );
    const results = matched.map((rule) => {
      const row = rule.entries.map((entry) => (entry === null ? null : evaluateFeel(entry, variables)));
      if (outputs.length === 1) return row[0] ?? null;
      return Object.fromEntries(outputs.map((name, i) => [name, row[i] ?? null]));
    });
    switch (hitPolicy) {
      case 'UNIQUE':
        if (results.length > 1) {
          throw new Error(
            `${where}: hit policy UNIQUE, but rules ${matched.map((r) => r.id).join(', ')} match`,
          );
        }
        return results[0] ?? null;
      case 'FIRST':
      case 'ANY':
        return results[0] ?? null;
      case 'RULE ORDER':
        return results;
      default:
        return aggregate(table.aggregation, results, where);
    }
  };
}

function aggregate(aggregation: string | undefined, results: unknown[], where: string): unknown {
  if (!aggregation) return results;
  if (aggregation === 'COUNT') return results.length;
  const numbers = results.filter((r): r is number => typeof r === 'number');
  if (numbers.length !== results.length) throw new Error(`${where}: COLLECT ${aggregation} needs numbers`);
  if (numbers.length === 0) return null;
  if (aggregation === 'SUM') return numbers.reduce((a, b) => a + b, 0);
  if (aggregation === 'MIN') return Math.min(...numbers);
  if (aggregation === 'MAX') return Math.max(...numbers);
  throw new Error(`${where}: aggregation ${aggregation} is not supported`);
}

/**
 * The decisions deployed to the engine, by id (the latest deployment of an id wins). Evaluating one first
 * evaluates the decisions it requires and gives their results by id, as Camunda 8 does.
 */
export class DecisionRepository {
  private readonly decisions = new Map<string, Decision>();

  async deploy(xml: string, resourceName: string): Promise<Decision[]> {
    const read = await readDecisions(xml, resourceName);
    for (const decision of read) this.decisions.set(decision.id, decision);
    return read;
  }

  has(decisionId: string): boolean {
    return this.decisions.has(decisionId);
  }

  /** Throws when the decision (or one it requires) is not deployed or its evaluation fails. */
  evaluate(decisionId: string, variables: Variables, seen = new Set<string>()): unknown {
    const decision = this.decisions.get(decisionId);
    if (!decision) throw new Error(`no decision ${decisionId} is deployed`);
    if (seen.has(decisionId)) throw new Error(`decision ${decisionId} requires itself`);
    seen.add(decisionId);
    const context: Variables = { ...variables };
    for (const required of decision.requires) {
      context[required] = this.evaluate(required, variables, new Set(seen));
      const name = this.decisions.get(required)?.name;
      if (name && !(name in context)) context[name] = context[required];
    }
    return decision.evaluateOwn(context);
  }
}
