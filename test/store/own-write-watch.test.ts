// After the checkpoint thread started the WAL over it looks for the store's next
// write every busy interval, for a while: on an idle gateway it goes back to its
// idle interval instead of waking every 20 ms for ever.
import { describe, expect, it } from 'vitest';
import { OwnWriteWatch } from '../../src/store/own-write-watch.ts';

const times = { busyMs: 20, idleMs: 1_000, quickMs: 200 };

/** The delays a watch asks for over `looks` looks that find the WAL as its start-over left it. */
function emptyLooks(watch: OwnWriteWatch, frames: number, looks: number): Array<number | undefined> {
  return Array.from({ length: looks }, () => watch.look(frames));
}

describe('store: the checkpoint thread\'s looks after a start-over', () => {
  it('goes back to the idle interval when no write follows a start-over, instead of looking every busy interval for ever', () => {
    const watch = new OwnWriteWatch(times);
    watch.startedOver(3);
    // The start-over itself schedules the first look at busyMs: 10 looks span quickMs.
    const delays = emptyLooks(watch, 3, 30);
    expect(delays.slice(0, 9)).toEqual(Array(9).fill(20));
    expect(delays.slice(9)).toEqual(Array(21).fill(1_000));
    expect(watch.watching).toBe(true); // its own write is still all there is: still no pass
  });

  it('sees a write soon after the start-over at the next look, and one after the quick looks at the next idle look', () => {
    const soon = new OwnWriteWatch(times);
    soon.startedOver(3);
    expect(emptyLooks(soon, 3, 2)).toEqual([20, 20]);
    expect(soon.look(5)).toBeUndefined(); // the store appended: pass now
    expect(soon.watching).toBe(false);

    const late = new OwnWriteWatch(times);
    late.startedOver(3);
    emptyLooks(late, 3, 30);
    expect(late.look(4)).toBeUndefined();
    expect(late.watching).toBe(false);
  });

  it('looks every busy interval again after the next start-over', () => {
    const watch = new OwnWriteWatch(times);
    watch.startedOver(3);
    expect(emptyLooks(watch, 3, 30).at(-1)).toBe(1_000);
    expect(watch.look(7)).toBeUndefined();
    watch.startedOver(2);
    expect(emptyLooks(watch, 2, 9)).toEqual(Array(9).fill(20));
  });

  it('watches nothing when the start-over left no frames it could read, or once the WAL was emptied', () => {
    const unknown = new OwnWriteWatch(times);
    unknown.startedOver(undefined);
    expect(unknown.watching).toBe(false);
    expect(unknown.look(undefined)).toBeUndefined();
    const emptied = new OwnWriteWatch(times);
    emptied.startedOver(3);
    emptied.clear();
    expect(emptied.watching).toBe(false);
  });
});
