import { randomUUID } from 'node:crypto';
import { FeelFunction, FeelRange, isRange } from 'feelin';

/**
 * What Camunda 8's FEEL (feel-scala) has beyond the DMN standard that feelin implements: the built-in
 * functions that models use, string literals that span lines, and the type rule of comparisons (values of
 * different types are not comparable: `"1200" > 1000` is null, not true). The collector's README lists them.
 */

/** Camunda's extension functions, given to every evaluation as context entries (names may hold spaces). */
export const CAMUNDA_BUILTINS: Record<string, FeelFunction> = {
  'is defined': new FeelFunction((value: unknown) => value !== null && value !== undefined, ['value']),
  'get or else': new FeelFunction(
    (value: unknown, fallback: unknown) => (value === null || value === undefined ? fallback : value),
    ['value', 'default'],
  ),
  assert: new FeelFunction(
    (value: unknown, condition: unknown, cause?: unknown) => {
      if (condition !== true) throw new Error(typeof cause === 'string' ? cause : 'assertion failed');
      return value;
    },
    ['value', 'condition', 'cause'],
  ),
  trim: new FeelFunction(
    (string: unknown) => (typeof string === 'string' ? string.trim() : null),
    ['string'],
  ),
  'is blank': new FeelFunction(
    (string: unknown) => (typeof string === 'string' ? string.trim() === '' : null),
    ['string'],
  ),
  uuid: new FeelFunction(() => randomUUID(), []),
  'to base64': new FeelFunction(
    (value: unknown) => (typeof value === 'string' ? Buffer.from(value, 'utf8').toString('base64') : null),
    ['value'],
  ),
  'is empty': new FeelFunction((list: unknown) => (Array.isArray(list) ? list.length === 0 : null), ['list']),
  partition: new FeelFunction(
    (list: unknown, size: unknown) => {
      if (!Array.isArray(list) || typeof size !== 'number' || size < 1) return null;
      const parts: unknown[][] = [];
      for (let i = 0; i < list.length; i += size) parts.push(list.slice(i, i + size));
      return parts;
    },
    ['list', 'size'],
  ),
  'duplicate values': new FeelFunction(
    (list: unknown) => {
      if (!Array.isArray(list)) return null;
      const seen = new Set<string>();
      const duplicates = new Map<string, unknown>();
      for (const item of list) {
        const key = JSON.stringify(item);
        if (seen.has(key)) duplicates.set(key, item);
        seen.add(key);
      }
      return [...duplicates.values()];
    },
    ['list'],
  ),
  'random number': new FeelFunction(() => Math.random(), []),
};

/** The names of {@link CAMUNDA_BUILTINS}, which must not be shadowed by a variable's deep copy. */
export const CAMUNDA_BUILTIN_NAMES = new Set(Object.keys(CAMUNDA_BUILTINS));

/**
 * Camunda's FEEL accepts a line break inside a string literal; feelin's grammar does not. Line breaks inside
 * double-quoted strings become `\n` escapes, everything else stays as written.
 */
export function escapeLineBreaksInStrings(expression: string): string {
  if (!expression.includes('\n') && !expression.includes('\r')) return expression;
  let out = '';
  let inString = false;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (inString && c === '\\') {
      out += c + (expression[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"') inString = !inString;
    if (inString && c === '\n') out += '\\n';
    else if (inString && c === '\r') out += '\\r';
    else out += c;
  }
  return out;
}

// feelin turns `a > b` into "is a in the range (b..]", and a range of numbers answers for a string probe by
// comparing it as JavaScript does. Camunda answers null when the types differ: the range does so here.
const PRIMITIVE_RANGE_TYPES: Record<string, string> = { number: 'number', string: 'string' };
const includes = FeelRange.prototype.includes;
let patched = false;

/** Makes comparisons of values of different types null, as in Camunda (once per process). */
export function applyCamundaComparisonRules(): void {
  if (patched) return;
  patched = true;
  FeelRange.prototype.includes = function includesOfSameType(this: FeelRange, value: unknown) {
    const valueType = (this as unknown as { valueType: string | null }).valueType;
    const expected = valueType ? PRIMITIVE_RANGE_TYPES[valueType] : undefined;
    if (value !== null && value !== undefined && !isRange(value)) {
      if (expected && typeof value !== expected) return null;
      if (!expected && valueType && (typeof value === 'number' || typeof value === 'string')) return null;
    }
    return includes.call(this, value) as boolean | null;
  };
}
