import { evaluate } from 'feelin';
import { type Variables } from '../engine.port';
import { applyCamundaComparisonRules, CAMUNDA_BUILTINS, escapeLineBreaksInStrings } from './feel-camunda';
import { DECLINED, feelShortcut, type FeelShortcut } from './feel-shortcuts';

applyCamundaComparisonRules();

/** In the zeebe dialect an attribute value starting with `=` is a FEEL expression; anything else is a literal. */
export function isFeel(value: unknown): value is string {
  return typeof value === 'string' && value.trimStart().startsWith('=');
}

/**
 * Evaluates a FEEL expression (with its leading `=`) against the variables, with Camunda's built-in functions
 * (feel-camunda.ts); temporal values become ISO strings. The shapes models write most take a shortcut past
 * feelin that gives the same value (feel-shortcuts.ts).
 */
export function evaluateFeel(expression: string, variables: Variables): unknown {
  const { body, shortcut } = prepared(expression);
  if (shortcut) {
    const value = shortcut(variables);
    if (value !== DECLINED) return value;
  }
  const { value } = evaluate(body, { ...CAMUNDA_BUILTINS, ...variables });
  return toPlain(value);
}

interface PreparedExpression {
  body: string;
  shortcut: FeelShortcut | null;
}

/** Expressions come from deployed models: few, and evaluated again and again. */
const preparedExpressions = new Map<string, PreparedExpression>();
const MAX_PREPARED_EXPRESSIONS = 10_000;

function prepared(expression: string): PreparedExpression {
  let entry = preparedExpressions.get(expression);
  if (!entry) {
    const body = escapeLineBreaksInStrings(expression.trimStart().slice(1));
    entry = { body, shortcut: feelShortcut(body) };
    if (preparedExpressions.size >= MAX_PREPARED_EXPRESSIONS) preparedExpressions.clear();
    preparedExpressions.set(expression, entry);
  }
  return entry;
}

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
