import { describe, expect, it } from '@jest/globals';
import { fromLocalInput, toLocalInput } from './date-input';

describe('datetime-local inputs', () => {
  it('holds an instant in local time and gives back the same instant', () => {
    const iso = '2026-12-01T09:30:00.000Z';
    const local = toLocalInput(iso);
    expect(local).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/);
    expect(fromLocalInput(local, 'dueDate')).toBe(iso);
  });

  it('holds nothing for no date, and an emptied input removes the date', () => {
    expect(toLocalInput(null)).toBe('');
    expect(fromLocalInput('  ', 'dueDate')).toBeNull();
  });

  it('names the field of a value that is not a date and time', () => {
    expect(() => fromLocalInput('2026-12-01', 'followUpDate')).toThrow(/^followUpDate: /);
    expect(() => fromLocalInput('2026-13-45T10:00', 'dueDate')).toThrow(/^dueDate: /);
  });
});
