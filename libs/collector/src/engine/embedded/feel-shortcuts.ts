import { now as feelNow } from 'feelin';
import { type Variables } from '../engine.port';
import { CAMUNDA_BUILTIN_NAMES } from './feel-camunda';

/**
 * Shortcuts past feelin for the shapes of FEEL expression that models write most: a variable name, a string
 * built with `+` from literals, names and `string(name)`, and a due date `now()` or `now() + duration("P3D")`.
 * feelin parses the expression again at every evaluation (the parse depends on the variables' names),
 * deep-copies the variables, and asks the time zone database for every `now()`; a shortcut is recognised once
 * per expression and then evaluated without any of that.
 *
 * A shortcut gives exactly what feelin gives, or declines ({@link DECLINED}) whenever the variables or the
 * time zone could make feelin's answer differ (a value that is not a string, a variable named like a function
 * or with a name feelin would read across tokens, a zone other than UTC, a years-and-months duration):
 * feelin then evaluates the expression as before.
 */

/** What a shortcut answers when feelin has to evaluate the expression. */
export const DECLINED: unique symbol = Symbol('declined');

/** Evaluates one recognised expression, or declines. */
export type FeelShortcut = (variables: Variables) => unknown;

/** The shortcut of an expression body (without its `=`), or null when it has none. */
export function feelShortcut(body: string): FeelShortcut | null {
  return nameShortcut(body) ?? concatenationShortcut(body) ?? dueDateShortcut(body);
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

/** A name feelin resolves to the context entry of that name (not a keyword, not a built-in function). */
function isPlainName(name: string): boolean {
  return IDENTIFIER.test(name) && !FEEL_KEYWORDS.has(name) && !CAMUNDA_BUILTIN_NAMES.has(name);
}

/**
 * Whether feelin reads the expression's names as single tokens: its parser joins words into one name when a
 * context entry is named so (`order total`), which only a name beyond letters, digits and `_` can be.
 */
function namesArePlain(variables: Variables): boolean {
  for (const key in variables) if (!IDENTIFIER.test(key)) return false;
  return true;
}

/** `=submitter`: the variable's value when it is a string, number, boolean or null. */
function nameShortcut(body: string): FeelShortcut | null {
  const name = body.trim();
  if (!isPlainName(name)) return null;
  return (variables) => {
    if (!Object.hasOwn(variables, name)) return DECLINED;
    const value = variables[name];
    if (value === null || value === undefined) return null;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
    return DECLINED;
  };
}

type Term = { literal: string } | { name: string; toString: boolean };

const STRING_LITERAL = /^"([^"\\]*)"$/;
const STRING_OF_NAME = /^string\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)$/;

/**
 * `="Invoice " + invoiceNumber + " over " + string(amount)`: string literals without escapes, names and
 * `string(name)` joined by `+`. feelin concatenates when both sides of `+` are strings; the shortcut answers
 * only then, and declines when any term is not a string (feelin answers null or adds numbers).
 */
function concatenationShortcut(body: string): FeelShortcut | null {
  const parts = splitOutsideStrings(body, '+');
  if (!parts || parts.length < 2) return null;
  const terms: Term[] = [];
  for (const part of parts.map((p) => p.trim())) {
    const literal = STRING_LITERAL.exec(part);
    const stringOf = STRING_OF_NAME.exec(part);
    if (literal) terms.push({ literal: literal[1] });
    else if (stringOf && isPlainName(stringOf[1])) terms.push({ name: stringOf[1], toString: true });
    else if (isPlainName(part)) terms.push({ name: part, toString: false });
    else return null;
  }
  const callsString = terms.some((t) => 'name' in t && t.toString);
  return (variables) => {
    if (!namesArePlain(variables) || (callsString && Object.hasOwn(variables, 'string'))) return DECLINED;
    let out = '';
    for (const term of terms) {
      if ('literal' in term) {
        out += term.literal;
        continue;
      }
      if (!Object.hasOwn(variables, term.name)) return DECLINED;
      const value = variables[term.name];
      if (typeof value === 'string') out += value;
      // FEEL's string() of a number or boolean is JavaScript's.
      else if (term.toString && (typeof value === 'number' || typeof value === 'boolean'))
        out += String(value);
      else return DECLINED;
    }
    return out;
  };
}

/** The expression split at `separator` where it stands outside double-quoted strings; null on an open quote. */
function splitOutsideStrings(body: string, separator: string): string[] | null {
  const parts: string[] = [];
  let inString = false;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\' && inString) i++;
    else if (c === '"') inString = !inString;
    else if (c === separator && !inString) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  if (inString) return null;
  parts.push(body.slice(start));
  return parts;
}

const NOW_PLUS_DURATION = /^\s*now\s*\(\s*\)\s*(?:\+\s*duration\s*\(\s*"([^"\\]*)"\s*\)\s*)?$/;
/** A days-and-time duration of FEEL's grammar with at most millisecond fractions (no years or months). */
const DAY_TIME_DURATION =
  /^(-)?P(?=\d|T\d)(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d{1,3}))?S)?)?$/;
/** The instants whose ISO form has a four-digit year, as Temporal's plain date-times print it. */
const YEAR_0000 = Date.parse('0000-01-01T00:00:00.000Z');
const LAST_YEAR_9999 = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * `=now()` and `=now() + duration("P3D")` while the process runs in UTC: feelin's `now()` is the current
 * instant as a date-time in the process's zone, and adding a days-and-time duration in UTC shifts it by that
 * many milliseconds. Printed as feelin prints it (`2026-12-04T14:46:39.06Z`: no trailing zeros in the
 * fraction, none at all on a whole second). Any other zone or duration is left to feelin.
 */
function dueDateShortcut(body: string): FeelShortcut | null {
  const match = NOW_PLUS_DURATION.exec(body);
  if (!match) return null;
  const literal = match[1];
  const offset = literal === undefined ? 0 : dayTimeMillis(literal);
  if (offset === null) return null;
  const shadowed = literal === undefined ? ['now'] : ['now', 'duration'];
  return (variables) => {
    if (shadowed.some((name) => Object.hasOwn(variables, name)) || processZone() !== 'UTC') return DECLINED;
    const instant = Date.now() + offset;
    if (instant < YEAR_0000 || instant > LAST_YEAR_9999) return DECLINED;
    // `2026-12-04T14:46:39.060Z` -> `2026-12-04T14:46:39.06Z`; `...:39.000Z` -> `...:39Z`.
    return new Date(instant).toISOString().replace(/\.?0+Z$/, 'Z');
  };
}

function dayTimeMillis(literal: string): number | null {
  const parts = DAY_TIME_DURATION.exec(literal);
  if (!parts) return null;
  const [, negative, days, hours, minutes, seconds, fraction] = parts;
  const millis =
    Number(days ?? 0) * 86_400_000 +
    Number(hours ?? 0) * 3_600_000 +
    Number(minutes ?? 0) * 60_000 +
    Number(seconds ?? 0) * 1_000 +
    Number((fraction ?? '').padEnd(3, '0'));
  if (!Number.isSafeInteger(millis)) return null;
  return negative ? -millis : millis;
}

/**
 * The zone feelin's `now()` is in, asked of feelin once per value of `TZ` (Node, too, reads the zone anew only
 * when `TZ` changes).
 */
let zone: { tz: string | undefined; id: string | null } | null = null;
function processZone(): string | null {
  const tz = process.env.TZ;
  if (zone === null || zone.tz !== tz) zone = { tz, id: feelNow().zone };
  return zone.id;
}
