// The RTP timeout of a SIP leg on a manual clock, driven by a packet counter:
// it fires once after the configured silence, every packet restarts it, and a
// held leg never times out.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../support/manual-clock.ts';
import { RtpWatch } from '../../src/sip-bridge/rtp-watch.ts';

const watch = (clock: ManualClock, state: { packets: number; held: boolean; timeouts: number }) => new RtpWatch({
  clock, timeoutMs: 30_000, received: () => state.packets, held: () => state.held, onTimeout: () => { state.timeouts++; },
});

describe('RTP timeout of a SIP leg', () => {
  it('fires once after 30 s without a packet; each packet starts the 30 s again', async () => {
    const clock = new ManualClock();
    const state = { packets: 0, held: false, timeouts: 0 };
    const w = watch(clock, state);
    await clock.advance(29_000);
    state.packets += 50; // media arrives: the silence starts again
    await clock.advance(29_000);
    expect(state.timeouts).toBe(0);
    await clock.advance(2_000);
    expect(state.timeouts).toBe(1);
    expect(w.closed).toBe(true);
    await clock.advance(120_000);
    expect(state.timeouts).toBe(1);
    expect(clock.pending).toBe(0);
  });

  it('never fires while the leg is held; after the hold the 30 s start from its end', async () => {
    const clock = new ManualClock();
    const state = { packets: 0, held: true, timeouts: 0 };
    const w = watch(clock, state);
    await clock.advance(300_000);
    expect(state.timeouts).toBe(0);
    state.held = false;
    await clock.advance(29_000);
    expect(state.timeouts).toBe(0);
    await clock.advance(2_000);
    expect(state.timeouts).toBe(1);
    w.close();
  });

  it('closed, it reads nothing and leaves no timer', async () => {
    const clock = new ManualClock();
    const state = { packets: 0, held: false, timeouts: 0 };
    watch(clock, state).close();
    expect(clock.pending).toBe(0);
    await clock.advance(60_000);
    expect(state.timeouts).toBe(0);
  });
});
