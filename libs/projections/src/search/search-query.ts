import { ViewQueryError } from '../view-store.port';
import type { SearchSettings } from './search-settings';
import { compareTokens, type SearchTerms, searchTokens } from './search-terms';

/** Most distinct words one search may hold. */
export const MAX_SEARCH_WORDS = 16;

/**
 * A parsed search: the distinct normalised words that must all match. A document matches when each
 * word is a prefix of one of its tokens (`appr` finds `Approve`); its relevance is, per word, the
 * weight of the best token it matches (doubled for a whole-word match), summed.
 */
export interface SearchQuery {
  readonly words: readonly string[];
}

/**
 * Checks a search string and parses it: null for none (absent, empty or blank), a
 * {@link ViewQueryError} naming `field` when too long, without a letter or digit, or with too many words.
 */
export function parseSearch(search: unknown, settings: SearchSettings, field: string): SearchQuery | null {
  if (search === null || search === undefined) return null;
  if (typeof search !== 'string') throw new ViewQueryError(field, 'must be a string');
  if (search.length > settings.maxLength) {
    throw new ViewQueryError(
      field,
      `is ${search.length} characters long; at most ${settings.maxLength} are allowed (EDDY_SEARCH_MAX_LENGTH)`,
    );
  }
  if (search.trim().length === 0) return null;
  const words = [...new Set(searchTokens(search))];
  if (words.length === 0) throw new ViewQueryError(field, 'holds no letter or digit to search for');
  if (words.length > MAX_SEARCH_WORDS) {
    throw new ViewQueryError(field, `holds ${words.length} words; at most ${MAX_SEARCH_WORDS} are allowed`);
  }
  return { words };
}

/** The relevance of a document's terms for a search: 0 when a word matches none of its tokens. */
export function searchScore(terms: SearchTerms, query: SearchQuery): number {
  let score = 0;
  for (const word of query.words) {
    const best = bestMatch(terms.tokens, terms.weights, word);
    if (best === 0) return 0;
    score += best;
  }
  return score;
}

/** The best weight among the tokens that start with `word` (sorted tokens: they are contiguous). */
function bestMatch(tokens: readonly string[], weights: readonly number[], word: string): number {
  let best = 0;
  for (let i = lowerBound(tokens, word); i < tokens.length && tokens[i].startsWith(word); i++) {
    const weight = matchWeight(tokens[i], weights[i], word);
    if (weight > best) best = weight;
  }
  return best;
}

/** The index of the first of the sorted `tokens` that is not below `word`. */
export function lowerBound(tokens: readonly string[], word: string): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareTokens(tokens[mid], word) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The weight one token contributes to a word it starts with (see {@link searchScore}). */
export function matchWeight(token: string, weight: number, word: string): number {
  return token.length === word.length ? 2 * weight : weight;
}
