import { evaluate } from 'feelin';
import { type Variables } from '../engine.port';

/** In the zeebe dialect an attribute value starting with `=` is a FEEL expression; anything else is a literal. */
export function isFeel(value: unknown): value is string {
  return typeof value === 'string' && value.trimStart().startsWith('=');
}

/** Evaluates a FEEL expression (with its leading `=`) against the variables; temporal values become ISO strings. */
export function evaluateFeel(expression: string, variables: Variables): unknown {
  const { value } = evaluate(expression.trimStart().slice(1), variables);
  return toPlain(value);
}

/** The value of a zeebe attribute: FEEL evaluated, a literal as it is. */
export function resolveAttribute(raw: string | undefined | null, variables: Variables): unknown {
  if (raw === undefined || raw === null) return null;
  return isFeel(raw) ? evaluateFeel(raw, variables) : raw;
}

/** Throws the parser's message when the expression is not valid FEEL (used at deployment). */
export function checkFeelSyntax(expression: string): void {
  // Evaluating against no variables parses the whole expression; missing variables are only warnings.
  evaluate(expression.trimStart().slice(1), {});
}

// feelin returns its own classes for dates, times and durations; their JSON form is the ISO-8601 string.
function toPlain(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object') return value;
  return JSON.parse(JSON.stringify(value)) as unknown;
}
