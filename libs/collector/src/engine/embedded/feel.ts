import { evaluate } from 'feelin';
import { type Variables } from '../engine.port';
import {
  applyCamundaComparisonRules,
  CAMUNDA_BUILTIN_NAMES,
  CAMUNDA_BUILTINS,
  escapeLineBreaksInStrings,
} from './feel-camunda';

applyCamundaComparisonRules();

/** In the zeebe dialect an attribute value starting with `=` is a FEEL expression; anything else is a literal. */
export function isFeel(value: unknown): value is string {
  return typeof value === 'string' && value.trimStart().startsWith('=');
}

/**
 * Evaluates a FEEL expression (with its leading `=`) against the variables, with Camunda's built-in functions
 * (feel-camunda.ts); temporal values become ISO strings.
 */
export function evaluateFeel(expression: string, variables: Variables): unknown {
  const body = escapeLineBreaksInStrings(expression.trimStart().slice(1));
  const name = body.trim();
  // A bare variable name (`=submitter`) is the most common expression of a model; feelin would parse it
  // and deep-copy every variable for it. Only names feelin resolves to the context entry take this path.
  if (
    IDENTIFIER.test(name) &&
    !FEEL_KEYWORDS.has(name) &&
    !CAMUNDA_BUILTIN_NAMES.has(name) &&
    Object.hasOwn(variables, name)
  ) {
    const value = variables[name];
    if (value === null || value === undefined) return null;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  }
  const { value } = evaluate(body, { ...CAMUNDA_BUILTINS, ...variables });
  return toPlain(value);
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const FEEL_KEYWORDS = new Set([
  'true',
  'false',
  'null',
  'not',
  'if',
  'then',
  'else',
  'for',
  'in',
  'return',
  'some',
  'every',
  'satisfies',
  'and',
  'or',
  'between',
  'instance',
  'of',
  'function',
  'external',
]);

/** The value of a zeebe attribute: FEEL evaluated, a literal as it is. */
export function resolveAttribute(raw: string | undefined | null, variables: Variables): unknown {
  if (raw === undefined || raw === null) return null;
  return isFeel(raw) ? evaluateFeel(raw, variables) : raw;
}

/** Throws the parser's message when the expression is not valid FEEL (used at deployment). */
export function checkFeelSyntax(expression: string): void {
  // Evaluating against no variables parses the whole expression; missing variables are only warnings.
  evaluate(escapeLineBreaksInStrings(expression.trimStart().slice(1)), CAMUNDA_BUILTINS);
}

// feelin returns its own classes for dates, times and durations; their JSON form is the ISO-8601 string.
function toPlain(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object') return value;
  return JSON.parse(JSON.stringify(value)) as unknown;
}
