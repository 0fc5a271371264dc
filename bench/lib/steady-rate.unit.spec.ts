import { describe, expect, it } from '@jest/globals';
import { type SchedulerClock, sendAtSteadyRate } from './steady-rate';

/** The macrotask after this one: every promise job queued before it has run. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A clock that only moves when the scheduler sleeps, or when a test moves it; it starts at 1,000. */
function fakeClock(): SchedulerClock & { advance(ms: number): void; sleeps: number[] } {
  let time = 1_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => time,
    advance: (ms) => {
      time += ms;
    },
    sleep: (ms) => {
      sleeps.push(ms);
      time += ms;
      return nextTurn();
    },
  };
}

/** Runs `count` sends at `perSecond` on `clock`; answers when each went out, from the start. */
async function sendTimes(
  clock: ReturnType<typeof fakeClock>,
  count: number,
  perSecond: number,
  during: (index: number) => void = () => undefined,
) {
  const sentAt: number[] = [];
  const run = await sendAtSteadyRate(
    count,
    perSecond,
    (i) => {
      sentAt.push(clock.now() - 1_000);
      during(i);
      return Promise.resolve();
    },
    clock,
  );
  return { sentAt, run };
}

describe('sendAtSteadyRate', () => {
  it('sends the i-th at i / rate seconds after the first and reports the rate it offered', async () => {
    const clock = fakeClock();
    const indexes: number[] = [];
    const { sentAt, run } = await sendTimes(clock, 5, 100, (i) => indexes.push(i));
    expect(indexes).toEqual([0, 1, 2, 3, 4]);
    expect(sentAt).toEqual([0, 10, 20, 30, 40]);
    expect(run).toEqual({ offeredPerSecond: 100, maxLagMs: 0 });
  });

  it('does not wait for an answer before the next send, and resolves once every answer came', async () => {
    const clock = fakeClock();
    const answers: (() => void)[] = [];
    let allSent: () => void = () => undefined;
    const sent = new Promise<void>((resolve) => (allSent = resolve));
    let resolved = false;
    const run = sendAtSteadyRate(
      3,
      50,
      () =>
        new Promise<void>((resolve) => {
          answers.push(resolve);
          if (answers.length === 3) allSent();
        }),
      clock,
    ).then((result) => {
      resolved = true;
      return result;
    });
    // Every send goes out although none was answered.
    await sent;
    answers[0]();
    answers[2]();
    await nextTurn();
    expect(resolved).toBe(false);
    answers[1]();
    expect((await run).offeredPerSecond).toBe(50);
    expect(resolved).toBe(true);
  });

  it('sends at once what is due when a send held the loop past its time, and reports the lag', async () => {
    const clock = fakeClock();
    // The second send keeps the loop busy for 25 ms: the third and fourth are late.
    const { sentAt, run } = await sendTimes(clock, 4, 100, (i) => {
      if (i === 1) clock.advance(25);
    });
    expect(sentAt).toEqual([0, 10, 35, 35]);
    expect(clock.sleeps).toEqual([10]);
    expect(run.maxLagMs).toBe(15);
    expect(run.offeredPerSecond).toBeCloseTo(3000 / 35);
  });

  it('stops sending after a failure and rejects with it once the sends in flight settled', async () => {
    const clock = fakeClock();
    const sent: number[] = [];
    const failure = new Error('answered 400');
    await expect(
      sendAtSteadyRate(
        10,
        100,
        (i) => {
          sent.push(i);
          return i === 2 ? Promise.reject(failure) : Promise.resolve();
        },
        clock,
      ),
    ).rejects.toBe(failure);
    // The failure is seen at the wait for the fourth send.
    expect(sent).toEqual([0, 1, 2]);
  });

  it('refuses a count or a rate that cannot be offered', async () => {
    const send = () => Promise.resolve();
    await expect(sendAtSteadyRate(0, 100, send)).rejects.toThrow('count must be a positive integer, not 0');
    await expect(sendAtSteadyRate(10, 0, send)).rejects.toThrow('perSecond must be above 0, not 0');
  });
});
