import { describe, expect, it } from '@jest/globals';
import { waitFor } from './wait-for';

describe('waitFor', () => {
  it('returns what the check returned once it passes', async () => {
    let tries = 0;
    const result = await waitFor(
      () => {
        tries += 1;
        if (tries < 3) throw new Error(`try ${tries}`);
        return tries;
      },
      { interval: 1 },
    );
    expect(result).toBe(3);
  });

  it('throws the last failure when the time is up', async () => {
    let tries = 0;
    await expect(
      waitFor(
        async () => {
          tries += 1;
          throw new Error(`try ${tries}`);
        },
        { timeout: 30, interval: 5 },
      ),
    ).rejects.toThrow(new RegExp(`try ${tries > 0 ? '\\d+' : ''}`));
    expect(tries).toBeGreaterThan(1);
  });
});
