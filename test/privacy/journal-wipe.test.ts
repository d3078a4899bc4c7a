// JournalWipe: a wipe a reader refuses is owed and asked again on the clock,
// backing off, until it succeeds; joined while one runs; nothing left after close().
import { describe, expect, it } from 'vitest';
import { JournalWipe, FIRST_RETRY_MS, MAX_RETRY_MS } from '../../src/privacy/journal-wipe.ts';
import { ManualClock } from '../support/manual-clock.ts';

function setUp(answers: boolean[]) {
  const clock = new ManualClock();
  const logged: string[] = [];
  let calls = 0;
  const wipe = new JournalWipe({
    clock,
    logger: { info: (_o, m) => logged.push(`info ${m}`), error: (_o, m) => logged.push(`error ${m}`) },
    wipe: async () => { calls++; return answers.shift() ?? true; },
  });
  return { clock, logged, wipe, calls: () => calls };
}

describe('JournalWipe', () => {
  it('retries a refused wipe with growing waits until it succeeds, then resolves whenEmptied()', async () => {
    const { clock, logged, wipe, calls } = setUp([false, false, false, true]);
    expect(await wipe.request()).toBe(false);
    expect(wipe.owed).toBe(true);
    let emptied = false;
    void wipe.whenEmptied().then(() => { emptied = true; });
    await clock.advance(FIRST_RETRY_MS - 1);
    expect(calls()).toBe(1);
    await clock.advance(1);
    expect(calls()).toBe(2);
    await clock.advance(2 * FIRST_RETRY_MS);
    expect(calls()).toBe(3);
    expect(emptied).toBe(false);
    await clock.advance(4 * FIRST_RETRY_MS);
    expect(calls()).toBe(4);
    expect(emptied).toBe(true);
    expect(wipe.owed).toBe(false);
    expect(clock.pending).toBe(0);
    // One error when it became owed, one line when it was done — not one per try.
    expect(logged.map((l) => l.split(' ')[0])).toEqual(['error', 'info']);
  });

  it('waits at most MAX_RETRY_MS between tries', async () => {
    const { clock, wipe, calls } = setUp(Array.from({ length: 20 }, () => false));
    await wipe.request();
    await clock.advance(10 * MAX_RETRY_MS);
    const before = calls();
    await clock.advance(MAX_RETRY_MS);
    expect(calls()).toBe(before + 1);
    wipe.close();
    expect(clock.pending).toBe(0);
  });

  it('joins a wipe that runs instead of doubling it, and a request while owed keeps one retry timer', async () => {
    const { clock, wipe, calls } = setUp([false, false, true]);
    const [a, b] = await Promise.all([wipe.request(), wipe.request()]);
    expect([a, b, calls()]).toEqual([false, false, 1]);
    expect(await wipe.request()).toBe(false); // asked again meanwhile (another erasure): still refused
    expect(clock.pending).toBe(1);
    await clock.advance(MAX_RETRY_MS);
    expect(wipe.owed).toBe(false);
  });

  it('a later request that succeeds while a retry is armed disarms it (no timer outlives close())', async () => {
    const { clock, wipe, calls } = setUp([false, true]);
    expect(await wipe.request()).toBe(false);
    expect(await wipe.request()).toBe(true); // another erasure meanwhile, and the reader let go
    expect(clock.pending).toBe(0);
    wipe.close();
    await clock.advance(MAX_RETRY_MS);
    expect(calls()).toBe(2);
  });

  it('close() stops the retries and releases whoever waits', async () => {
    const { clock, wipe } = setUp([false]);
    await wipe.request();
    const waiting = wipe.whenEmptied();
    wipe.close();
    await waiting;
    expect(clock.pending).toBe(0);
  });
});
