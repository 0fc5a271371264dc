import { describe, expect, it } from '@jest/globals';
import { aDataEntry, aTask } from '@eddy/testing/view-store.contract';
import { ViewQueryError } from '../view-store.port';
import { MemorySearchIndex } from './memory.search-index';
import { MAX_SEARCH_WORDS, parseSearch, searchScore } from './search-query';
import { DEFAULT_SEARCH_SETTINGS, resolveSearchSettings } from './search-settings';
import { dataEntrySearchTerms, normaliseSearchText, searchTokens, taskSearchTerms } from './search-terms';

const settings = resolveSearchSettings({ payloadFields: ['customer.name', 'tags', 'amount'] });
const query = (text: string) => parseSearch(text, settings, 'filter.search')!;

describe('search terms', () => {
  it('folds case and removes accents, so that a user types the words as they come', () => {
    expect(normaliseSearchText('Ünïcödé STRAßE Œuvre Łódź')).toBe('unicode strasse oeuvre lodz');
    expect(searchTokens('Café-Crème, n°42 ﬁle')).toEqual(['cafe', 'creme', 'n', '42', 'file']);
  });

  it('indexes name and business key above description above the chosen payload fields', () => {
    const terms = taskSearchTerms(
      aTask('t1', {
        name: 'Approve order',
        businessKey: 'ORD-77',
        description: 'Check the order',
        payload: { customer: { name: 'Müller' }, tags: ['urgent', 7], amount: 120, secret: 'hidden' },
      }),
      settings,
    );
    const weightOf = Object.fromEntries(terms.tokens.map((t, i) => [t, terms.weights[i]]));
    expect(weightOf).toEqual({
      approve: 4,
      order: 4,
      ord: 4,
      '77': 4,
      check: 2,
      the: 2,
      muller: 1,
      urgent: 1,
      '7': 1,
      '120': 1,
    });
    expect([...terms.tokens]).toEqual([...terms.tokens].sort());
  });

  it('searches data entries by name, entry id, description and the chosen payload fields', () => {
    const terms = dataEntrySearchTerms(
      aDataEntry('INV-9', { name: 'Invoice', description: 'Paid', payload: { amount: 5 } }),
      settings,
    );
    expect(terms.tokens).toEqual(['5', '9', 'inv', 'invoice', 'paid']);
  });
});

describe('search queries', () => {
  it('matches when every word begins a word of the document, and ranks whole words and titles higher', () => {
    const terms = taskSearchTerms(
      aTask('t1', { name: 'Approve order', description: 'Approval of the ordering' }),
      settings,
    );
    expect(searchScore(terms, query('appr'))).toBe(4);
    expect(searchScore(terms, query('approve'))).toBe(8);
    expect(searchScore(terms, query('APPROVAL'))).toBe(4); // whole word in the description: 2 x 2
    expect(searchScore(terms, query('approve order'))).toBe(16);
    expect(searchScore(terms, query('approve invoice'))).toBe(0);
    expect(searchScore(terms, query('prove'))).toBe(0); // a prefix, not a substring
  });

  it('takes a blank search as none, and refuses one too long, without words or with too many', () => {
    expect(parseSearch('   ', settings, 'filter.search')).toBeNull();
    expect(parseSearch(null, settings, 'filter.search')).toBeNull();
    const refusal = (search: unknown) => {
      try {
        parseSearch(search, DEFAULT_SEARCH_SETTINGS, 'filter.search');
      } catch (error) {
        return error as ViewQueryError;
      }
      throw new Error('accepted');
    };
    const long = refusal('x'.repeat(10_000));
    expect(long).toBeInstanceOf(ViewQueryError);
    expect(long.field).toBe('filter.search');
    expect(long.message).toBe(
      'filter.search: is 10000 characters long; at most 200 are allowed (EDDY_SEARCH_MAX_LENGTH)',
    );
    expect(refusal('?! -').message).toBe('filter.search: holds no letter or digit to search for');
    const many = Array.from({ length: MAX_SEARCH_WORDS + 1 }, (_, i) => `w${i}`).join(' ');
    expect(refusal(many).message).toMatch(/^filter\.search: holds 17 words; at most 16/);
    expect(refusal(42).message).toBe('filter.search: must be a string');
  });

  it('refuses settings that name no payload path, naming the setting', () => {
    expect(() => resolveSearchSettings({ payloadFields: ['a..b'] })).toThrow(
      "EDDY_SEARCH_PAYLOAD_FIELDS[0]: 'a..b' may contain only letters, digits, _ and - between dots",
    );
    expect(() => resolveSearchSettings({ maxLength: 0 })).toThrow(/^EDDY_SEARCH_MAX_LENGTH: /);
  });
});

describe('the memory search index', () => {
  it('answers as scoring each document would, after updates and deletes', () => {
    const index = new MemorySearchIndex();
    const docs = new Map([
      ['a', aTask('a', { name: 'Approve order', businessKey: 'A-1' })],
      ['b', aTask('b', { name: 'Approve invoice', description: 'order 17' })],
      ['c', aTask('c', { name: 'Ship order' })],
    ]);
    for (const [id, task] of docs) index.set(id, taskSearchTerms(task, settings));
    const expected = (text: string) =>
      new Map(
        [...docs]
          .map(([id, t]) => [id, searchScore(taskSearchTerms(t, settings), query(text))] as const)
          .filter(([, score]) => score > 0),
      );
    for (const text of ['appr', 'order', 'approve ord', 'o', 'zzz', 'a 1']) {
      expect(index.match(query(text))).toEqual(expected(text));
    }
    docs.set('b', aTask('b', { name: 'Archive' }));
    index.set('b', taskSearchTerms(docs.get('b')!, settings));
    docs.delete('c');
    index.delete('c');
    for (const text of ['appr', 'order', 'ar', 'ship'])
      expect(index.match(query(text))).toEqual(expected(text));
  });
});
