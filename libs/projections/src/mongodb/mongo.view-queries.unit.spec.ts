import { describe, expect, it } from '@jest/globals';
import { encodeCursor } from '../view-filters';
import { ViewQueryError } from '../view-store.port';
import { DEFAULT_SEARCH_SETTINGS } from '../search/search-settings';
import { afterCursor, escapeRegex, payloadClause, taskQuery, taskSort } from './mongo.view-queries';

const viewer = { userId: 'carl', groups: ['clerks'] };

describe('MongoDB queries of the view store', () => {
  it('puts authorisation first, as one $in on the principal keys', () => {
    const query = taskQuery({ includeDeferred: true }, viewer, new Date(0), DEFAULT_SEARCH_SETTINGS);
    expect(query).toEqual({ $and: [{ _r: false, _p: { $in: ['u:carl', 'g:clerks'] } }] });
  });

  it('passes filter values only inside operators, never as a query document', () => {
    const injected = { $ne: null };
    expect(payloadClause({ path: 'a.b', op: 'EQ', value: injected })).toEqual({
      'payload.a.b': { $eq: injected },
    });
    expect(payloadClause({ path: 'a', op: 'IN', value: [injected] })).toEqual({
      'payload.a': { $in: [injected] },
    });
    expect(payloadClause({ path: 'a', op: 'LIKE', value: 'a.*(b)' })).toEqual({
      $and: [
        { 'payload.a': { $type: 'string' } },
        { 'payload.a': { $regex: 'a\\.\\*\\(b\\)', $options: 'i' } },
      ],
    });
    expect(new RegExp(escapeRegex('^[x]+$|\\/-')).test('^[x]+$|\\/-')).toBe(true);
  });

  it('pages after a cursor with a range query in which missing values sort first', () => {
    const sort = taskSort([
      { field: 'DUE_DATE', direction: 'ASC' },
      { field: 'PRIORITY', direction: 'DESC' },
    ]);
    expect(sort.sort).toEqual({ '_s.dueDate': 1, priority: -1, _id: 1 });
    expect(afterCursor(encodeCursor({ key: [null, 5], id: 't3' }), sort)).toEqual({
      $or: [
        { '_s.dueDate': { $ne: null } },
        { '_s.dueDate': null, $or: [{ priority: { $lt: 5 } }, { priority: null }] },
        { '_s.dueDate': null, priority: { $eq: 5 }, _id: { $gt: 't3' } },
      ],
    });
    // A descending key at null: nothing sorts after it but equal keys.
    expect(afterCursor(encodeCursor({ key: [7, null], id: 't3' }), sort)).toEqual({
      $or: [{ '_s.dueDate': { $gt: 7 } }, { '_s.dueDate': { $eq: 7 }, priority: null, _id: { $gt: 't3' } }],
    });
  });

  it('refuses a cursor whose keys are not of the sort fields kinds', () => {
    const sort = taskSort([{ field: 'PRIORITY' }]);
    expect(() => afterCursor(encodeCursor({ key: ['high'], id: 't1' }), sort)).toThrow(ViewQueryError);
    expect(() => afterCursor('garbage', sort)).toThrow(ViewQueryError);
  });
});
