import { payloadPathSegments } from '../payload-paths';

/**
 * What free-text search (`filter.search`) reads and how long a search may be. Both view stores
 * index the same terms from these settings, and the tasklist tests pushed changes with them, so a
 * live list and a query agree. Changing `payloadFields` changes what is indexed: the memory store
 * indexes again at start (it replays); the MongoDB store needs a replay of the tasks, data-entries
 * and closed-tasks views (`npm run admin -- replay <view>`).
 */
export interface SearchSettings {
  /**
   * Dotted payload paths whose values are searched besides the fixed fields
   * (`EDDY_SEARCH_PAYLOAD_FIELDS`): strings, numbers and arrays of them.
   */
  readonly payloadFields: readonly string[];
  /** The longest search string, in characters (`EDDY_SEARCH_MAX_LENGTH`). */
  readonly maxLength: number;
}

/** Longest search a setting may allow: beyond it, a search is a document, not a query. */
export const SEARCH_MAX_LENGTH_LIMIT = 1_000;

export const DEFAULT_SEARCH_SETTINGS: SearchSettings = Object.freeze({
  payloadFields: Object.freeze([]) as readonly string[],
  maxLength: 200,
});

/** Injection token of the process's {@link SearchSettings} (provided by the projections module). */
export const SEARCH_SETTINGS = Symbol('SEARCH_SETTINGS');

/** Completes partial settings with the defaults and checks them; errors name the setting. */
export function resolveSearchSettings(partial: Partial<SearchSettings> = {}): SearchSettings {
  const payloadFields = [...new Set(partial.payloadFields ?? DEFAULT_SEARCH_SETTINGS.payloadFields)];
  payloadFields.forEach((path, i) => payloadPathSegments(path, `EDDY_SEARCH_PAYLOAD_FIELDS[${i}]`));
  const maxLength = partial.maxLength ?? DEFAULT_SEARCH_SETTINGS.maxLength;
  if (!Number.isInteger(maxLength) || maxLength < 1 || maxLength > SEARCH_MAX_LENGTH_LIMIT) {
    throw new RangeError(
      `EDDY_SEARCH_MAX_LENGTH: must be an integer from 1 to ${SEARCH_MAX_LENGTH_LIMIT}, got ${String(maxLength)}`,
    );
  }
  return Object.freeze({ payloadFields: Object.freeze(payloadFields), maxLength });
}
