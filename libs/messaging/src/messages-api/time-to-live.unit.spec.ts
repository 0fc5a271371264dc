import { describe, expect, it } from '@jest/globals';
import { timeToLiveMs } from './time-to-live';

describe('timeToLiveMs', () => {
  it('reads ISO-8601 durations of weeks, days, hours, minutes and seconds', () => {
    expect(timeToLiveMs('PT0S')).toBe(0);
    expect(timeToLiveMs('PT1.5S')).toBe(1_500);
    expect(timeToLiveMs('PT10M')).toBe(600_000);
    expect(timeToLiveMs('P1DT2H')).toBe(93_600_000);
    expect(timeToLiveMs('P1W')).toBe(604_800_000);
  });

  it('refuses what is not a duration, a negative one, and years or months', () => {
    for (const text of ['', 'abc', 'P', 'PT', '10', '-PT1S', 'P1M', 'P1Y']) {
      expect({ text, ms: timeToLiveMs(text) }).toEqual({ text, ms: null });
    }
  });
});
