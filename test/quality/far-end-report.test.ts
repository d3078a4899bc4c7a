// A telephone leg's receiver reports folded per interval (FarEndReports): each
// stream it reports on (reporter SSRC, our SSRC) keeps its own baseline, the
// interval sums their growth; jitter and round trip are the worst reported.
import { describe, expect, it } from 'vitest';
import { FarEndReports } from '../../src/quality/index.ts';
import type { FarEndReport } from '../../src/calls/index.ts';

const PHONE = 0x1234;
const report = (ssrc: number, expected: number, lost: number, jitterMs = 10, rttMs: number | null = 50, reporter = PHONE): FarEndReport =>
  ({ ssrc, reporter, expected, lost, jitterMs, rttMs });

describe('FarEndReports (one leg)', () => {
  it('two streams reported in turn (two parties\' consumers): each counts from its own baseline, the interval sums them, jitter and RTT the worst', () => {
    const leg = new FarEndReports();
    leg.take(report(1, 1000, 10));
    leg.take(report(2, 5000, 50, 30, 40));
    expect(leg.interval()).toEqual({ received: 5940, lost: 60, jitterMs: 30, rttMs: 50 });
    // The next interval: each stream grew by 250, 5 of them lost on the second; reported in turn, twice each.
    leg.take(report(1, 1100, 10, 12, 60));
    leg.take(report(2, 5100, 52, 8, null));
    leg.take(report(1, 1250, 10, 12, 60));
    leg.take(report(2, 5250, 55, 8, null));
    expect(leg.interval()).toEqual({ received: 495, lost: 5, jitterMs: 12, rttMs: 60 });
    expect(leg.interval()).toBeUndefined();
  });

  it('a new phone on our stream (the far end moved) counts from its own counters, the old phone\'s baseline is kept', () => {
    const leg = new FarEndReports();
    leg.take(report(1, 3000, 30));
    leg.interval();
    leg.take(report(1, 200, 4, 10, 50, 0x9999));
    expect(leg.interval()).toMatchObject({ received: 196, lost: 4 });
    leg.take(report(1, 400, 4, 10, 50, 0x9999));
    leg.take(report(1, 3100, 30));
    expect(leg.interval()).toMatchObject({ received: 300, lost: 0 });
  });

  it('lost falling then rising again (10 → 8 → 10) counts nothing twice: the highest lost seen is the baseline', () => {
    const leg = new FarEndReports();
    leg.take(report(1, 100, 10));
    expect(leg.interval()).toMatchObject({ received: 90, lost: 10 });
    leg.take(report(1, 200, 8));
    expect(leg.interval()).toMatchObject({ received: 100, lost: 0 });
    leg.take(report(1, 300, 10));
    expect(leg.interval()).toMatchObject({ received: 100, lost: 0 });
    leg.take(report(1, 400, 13));
    expect(leg.interval()).toMatchObject({ received: 97, lost: 3 });
  });
});
