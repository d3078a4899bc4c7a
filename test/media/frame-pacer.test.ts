// The pacer of a mix's 20 ms frames on a manual time source: the first frame at
// once, one per 20 ms, a late timer catching up a few frames at once, and a
// stall of the event loop (1 s) skipping the frames whose time passed.
import { describe, expect, it } from 'vitest';
import { FramePacer } from '../../src/media/index.ts';

describe('frame pacer', () => {
  it('sends each frame when due, catches up a late timer, and skips what a stall let pass (review s23 #8)', () => {
    let t = 5000;
    const pacer = new FramePacer(() => t, 20, 5);
    const at = (ms: number) => { t = 5000 + ms; return pacer.due(); };
    expect(at(0)).toEqual({ skip: 0, send: 1 });
    expect(at(10)).toEqual({ skip: 0, send: 0 });
    expect(at(20)).toEqual({ skip: 0, send: 1 });
    // A timer 60 ms late: the three frames due are sent at once.
    expect(at(80)).toEqual({ skip: 0, send: 3 });
    // Five frames behind is still caught up; six is a stall.
    expect(at(180)).toEqual({ skip: 0, send: 5 });
    expect(at(1180)).toEqual({ skip: 49, send: 1 });
    expect(at(1200)).toEqual({ skip: 0, send: 1 });
  });
});
