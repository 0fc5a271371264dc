import { valuesAt } from '../payload-paths';
import type { ClosedTaskView, DataEntryView, TaskView, ViewName } from '../view.types';
import type { SearchSettings } from './search-settings';

/**
 * The terms free-text search matches: words of a document's searched fields, case folded and with
 * accents removed, each with the weight of the most important field it occurs in. Both view stores
 * index exactly these (MongoDB stores them as `_q`/`_qw`, the memory store in its search index), so
 * their answers and rankings agree.
 */
export interface SearchTerms {
  /** Distinct normalised tokens, sorted (JavaScript string order). */
  readonly tokens: readonly string[];
  /** The weight of each token, in the same order. */
  readonly weights: readonly number[];
}

/** Weights of the searched fields: a match in a name or key counts more than one in a description. */
export const SEARCH_WEIGHTS = { title: 4, description: 2, payload: 1 } as const;

/** Longer tokens are cut to this many characters (an id or a hash is matched on its first 64). */
export const MAX_TOKEN_LENGTH = 64;
/** Distinct tokens kept per document; the most important fields come first, so they always are. */
export const MAX_TOKENS_PER_DOCUMENT = 1_000;

/** Letters that do not decompose into a base letter and a mark, folded as a reader would type them. */
const FOLDED: Record<string, string> = {
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  đ: 'd',
  ð: 'd',
  ł: 'l',
  ı: 'i',
  þ: 'th',
};
const FOLDABLE = new RegExp(`[${Object.keys(FOLDED).join('')}]`, 'gu');
const MARKS = /\p{M}+/gu;
const WORD = /[\p{L}\p{N}]+/gu;

/** Case folded, compatibility decomposed, accents removed: `Ünïcödé Straße` -> `unicode strasse`. */
export function normaliseSearchText(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(MARKS, '')
    .replace(FOLDABLE, (c) => FOLDED[c]);
}

/** The normalised words of a text (letters and digits; everything else separates). */
export function searchTokens(text: string): string[] {
  const words = normaliseSearchText(text).match(WORD) ?? [];
  return words.map(cutToken);
}

function cutToken(token: string): string {
  if (token.length <= MAX_TOKEN_LENGTH) return token;
  const cut = token.slice(0, MAX_TOKEN_LENGTH);
  // Never end on half of a surrogate pair.
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/** The searched texts of a document with their weights, most important first. */
type WeightedTexts = [weight: number, texts: readonly unknown[]][];

function payloadTexts(payload: Record<string, unknown>, settings: SearchSettings): unknown[] {
  const texts: unknown[] = [];
  for (const path of settings.payloadFields) {
    for (const value of valuesAt(payload, path.split('.'))) {
      if (Array.isArray(value)) texts.push(...value);
      else texts.push(value);
    }
  }
  return texts;
}

function collect(fields: WeightedTexts): SearchTerms {
  const weights = new Map<string, number>();
  for (const [weight, texts] of fields) {
    for (const text of texts) {
      const value =
        typeof text === 'string'
          ? text
          : typeof text === 'number' && Number.isFinite(text)
            ? String(text)
            : null;
      if (value === null) continue;
      for (const token of searchTokens(value)) {
        const known = weights.get(token);
        if (known !== undefined) {
          if (weight > known) weights.set(token, weight);
        } else if (weights.size < MAX_TOKENS_PER_DOCUMENT) {
          weights.set(token, weight);
        }
      }
    }
  }
  const tokens = [...weights.keys()].sort(compareTokens);
  return { tokens, weights: tokens.map((t) => weights.get(t)!) };
}

export function compareTokens(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A task's (open or closed) terms: name and business key, description, the searched payload fields. */
export function taskSearchTerms(task: TaskView | ClosedTaskView, settings: SearchSettings): SearchTerms {
  return collect([
    [SEARCH_WEIGHTS.title, [task.name, task.businessKey]],
    [SEARCH_WEIGHTS.description, [task.description]],
    [SEARCH_WEIGHTS.payload, payloadTexts(task.payload, settings)],
  ]);
}

/** A data entry's terms: name and entry id, description, the searched payload fields. */
export function dataEntrySearchTerms(entry: DataEntryView, settings: SearchSettings): SearchTerms {
  return collect([
    [SEARCH_WEIGHTS.title, [entry.name, entry.entryId]],
    [SEARCH_WEIGHTS.description, [entry.description]],
    [SEARCH_WEIGHTS.payload, payloadTexts(entry.payload, settings)],
  ]);
}

const TASK_SEARCHED_FIELDS = ['name', 'businessKey', 'description', 'payload'] as const;
/** The fields the terms of a document are made of (with the search settings). */
const SEARCHED_FIELDS: Record<SearchedView, readonly string[]> = {
  tasks: TASK_SEARCHED_FIELDS,
  'closed-tasks': TASK_SEARCHED_FIELDS,
  'data-entries': ['name', 'entryId', 'description', 'payload'],
};

/**
 * True when two documents of a searched view have the same searched fields, so the same terms.
 * The payload is compared by reference: the projections carry it over unchanged, and a payload that
 * was replaced by an equal one only costs new terms.
 */
export function sameSearchedFields(view: SearchedView, a: unknown, b: unknown): boolean {
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  return SEARCHED_FIELDS[view].every((field) => x[field] === y[field]);
}

/** The views that are searched. */
export type SearchedView = Extract<ViewName, 'tasks' | 'data-entries' | 'closed-tasks'>;

export function isSearchedView(view: ViewName): view is SearchedView {
  return view === 'tasks' || view === 'data-entries' || view === 'closed-tasks';
}

/** The terms of a document of a searched view. */
export function documentSearchTerms(
  view: SearchedView,
  document: unknown,
  settings: SearchSettings,
): SearchTerms {
  return view === 'data-entries'
    ? dataEntrySearchTerms(document as DataEntryView, settings)
    : taskSearchTerms(document as TaskView, settings);
}
