import { describe, expect, it } from '@jest/globals';
import { applyLiveChange } from './live-set';

const task = (id: string, version = 1) => ({ id, version, name: id });

describe('applyLiveChange', () => {
  it('replaces the set with a snapshot, then adds, replaces and removes', () => {
    let set = applyLiveChange(new Map([['old', task('old')]]), {
      kind: 'SNAPSHOT',
      items: [task('a'), task('b')],
      removedIds: [],
    });
    expect([...set.keys()]).toEqual(['a', 'b']);
    set = applyLiveChange(set, {
      kind: 'UPSERTED',
      items: [task('c'), task('a', 2)],
      removedIds: [],
    });
    expect(set.get('a')?.version).toBe(2);
    expect(set.size).toBe(3);
    set = applyLiveChange(set, { kind: 'REMOVED', items: [], removedIds: ['b'] });
    expect([...set.keys()].sort()).toEqual(['a', 'c']);
  });

  it('keeps the newer task when an older version arrives, and leaves the old map unchanged', () => {
    const before = new Map([['a', task('a', 5)]]);
    const after = applyLiveChange(before, {
      kind: 'UPSERTED',
      items: [task('a', 4)],
      removedIds: [],
    });
    expect(after.get('a')?.version).toBe(5);
    const removed = applyLiveChange(before, {
      kind: 'REMOVED',
      items: [],
      removedIds: ['a'],
    });
    expect(removed.size).toBe(0);
    expect(before.size).toBe(1);
  });
});
