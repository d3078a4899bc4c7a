// After the checkpoint thread started the WAL over it leaves its own write
// uncopied until the store writes: the store's first commit tells it (see
// checkpointer.test.ts); its own looks, at the idle interval, only back that up,
// so an idle gateway does not wake it every busy interval.
import { describe, expect, it } from 'vitest';
import { OwnWriteWatch } from '../../src/store/own-write-watch.ts';

const times = { idleMs: 1_000 };

/** The delays a watch asks for over `looks` looks that find the WAL as its start-over left it. */
function emptyLooks(watch: OwnWriteWatch, frames: number, looks: number): Array<number | undefined> {
  return Array.from({ length: looks }, () => watch.look(frames));
}

describe('store: the checkpoint thread\'s looks after a start-over', () => {
  it('keeps watching (no pass) for as many looks as find its own write alone, and ends at the first that finds other frames — fewer too, or none readable', () => {
    const watch = new OwnWriteWatch(times);
    watch.startedOver(3);
    // Every look that finds the start-over's 3 frames: not yet, look again later.
    expect(emptyLooks(watch, 3, 30).every((next) => next !== undefined)).toBe(true);
    expect(watch.watching).toBe(true);
    // Fewer frames: the WAL started over again elsewhere (another process); not the thread's write alone any more.
    expect(watch.look(1)).toBeUndefined();
    expect(watch.watching).toBe(false);
    // Once ended, the same count again does not bring the watch back: only a start-over does.
    expect(watch.look(3)).toBeUndefined();
    expect(watch.watching).toBe(false);

    const unreadable = new OwnWriteWatch(times);
    unreadable.startedOver(3);
    expect(unreadable.look(undefined)).toBeUndefined(); // the -shm could not be read: pass rather than wait
    expect(unreadable.watching).toBe(false);
  });

  it('sees a write at the next look, however many looks found none before', () => {
    const soon = new OwnWriteWatch(times);
    soon.startedOver(3);
    expect(soon.look(5)).toBeUndefined(); // the store appended: pass now
    expect(soon.watching).toBe(false);

    const late = new OwnWriteWatch(times);
    late.startedOver(3);
    emptyLooks(late, 3, 30);
    expect(late.look(4)).toBeUndefined();
    expect(late.watching).toBe(false);
  });

  it('watches its own write again after the next start-over', () => {
    const watch = new OwnWriteWatch(times);
    watch.startedOver(3);
    expect(watch.look(7)).toBeUndefined();
    watch.startedOver(2);
    expect(watch.watching).toBe(true);
    expect(emptyLooks(watch, 2, 3)).toEqual([1_000, 1_000, 1_000]);
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
