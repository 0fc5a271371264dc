import { describe, expect, it } from 'vitest';
import { applyTaskChange } from './live-task-set';

const task = (id: string, version = 1) => ({ id, version, name: id });

describe('applyTaskChange', () => {
  it('replaces the set with a snapshot, then adds, replaces and removes', () => {
    let set = applyTaskChange(new Map([['old', task('old')]]), {
      kind: 'SNAPSHOT',
      tasks: [task('a'), task('b')],
      removedIds: [],
      position: '1',
    });
    expect([...set.keys()]).toEqual(['a', 'b']);
    set = applyTaskChange(set, {
      kind: 'UPSERTED',
      tasks: [task('c'), task('a', 2)],
      removedIds: [],
      position: '2',
    });
    expect(set.get('a')?.version).toBe(2);
    expect(set.size).toBe(3);
    set = applyTaskChange(set, { kind: 'REMOVED', tasks: [], removedIds: ['b'], position: '3' });
    expect([...set.keys()].sort()).toEqual(['a', 'c']);
  });

  it('keeps the newer task when an older version arrives, and leaves the old map unchanged', () => {
    const before = new Map([['a', task('a', 5)]]);
    const after = applyTaskChange(before, {
      kind: 'UPSERTED',
      tasks: [task('a', 4)],
      removedIds: [],
      position: '9',
    });
    expect(after.get('a')?.version).toBe(5);
    const removed = applyTaskChange(before, {
      kind: 'REMOVED',
      tasks: [],
      removedIds: ['a'],
      position: '10',
    });
    expect(removed.size).toBe(0);
    expect(before.size).toBe(1);
  });
});
