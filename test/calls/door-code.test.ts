// The door code a host presses on a telephone, on a manual clock: compared once
// as many keys as the code has arrived, an unfinished entry discarded after the
// inter-digit timeout, and the chance ended after maxWrong wrong codes.
import { describe, expect, it } from 'vitest';
import { DoorCodeEntry, type DtmfDigit } from '../../src/calls/index.ts';
import { ManualClock } from '../support/manual-clock.ts';

const policy = { code: '*1', interDigitMs: 3000, maxWrong: 3 };
const press = (entry: DoorCodeEntry, keys: string) => [...keys].map((k) => entry.press(k as DtmfDigit).result);

describe('door code entry', () => {
  it('matches the code, as often as it is pressed', () => {
    const clock = new ManualClock();
    const entry = new DoorCodeEntry(policy, clock);
    expect(press(entry, '*1*1')).toEqual(['collecting', 'matched', 'collecting', 'matched']);
    entry.close();
    expect(clock.pending).toBe(0);
  });

  it('discards an unfinished code after the inter-digit timeout, not before', async () => {
    const clock = new ManualClock();
    const entry = new DoorCodeEntry(policy, clock);
    expect(press(entry, '*')).toEqual(['collecting']);
    await clock.advance(2999);
    expect(press(entry, '1')).toEqual(['matched']);
    expect(press(entry, '*')).toEqual(['collecting']);
    await clock.advance(3000);
    expect(clock.pending).toBe(0);
    // The * was discarded: "1*" is a wrong code now, "*1" after it matches.
    expect(press(entry, '1*')).toEqual(['collecting', 'wrong']);
    expect(press(entry, '*1')).toEqual(['collecting', 'matched']);
    expect(entry.wrong).toBe(1);
  });

  it('a wrong code maxWrong times ends the chance: the right code does nothing after', () => {
    const entry = new DoorCodeEntry(policy, new ManualClock());
    expect([entry.press('1'), entry.press('2')]).toEqual([{ result: 'collecting' }, { result: 'wrong', wrong: 1 }]);
    expect(press(entry, '##')).toEqual(['collecting', 'wrong']);
    expect([entry.press('*'), entry.press('2')]).toEqual([{ result: 'collecting' }, { result: 'locked', wrong: 3 }]);
    expect(entry.locked).toBe(true);
    expect(press(entry, '*1')).toEqual(['ignored', 'ignored']);
  });

  it('close() clears the pending timer and ignores later keys', () => {
    const clock = new ManualClock();
    const entry = new DoorCodeEntry(policy, clock);
    press(entry, '*');
    expect(clock.pending).toBe(1);
    entry.close();
    expect(clock.pending).toBe(0);
    expect(press(entry, '1')).toEqual(['ignored']);
  });
});
