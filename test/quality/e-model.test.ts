// The E-model against G.107/G.109 reference points, and the property that a worse
// network never gives a better MOS.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { G711_PLC, R_UNIMPAIRED, delayImpairment, delayImpairmentParts, effectiveIe, mos, mosFromR, rFactor, codecTable } from '../../src/quality/index.ts';

const noDelayCodec = { ...G711_PLC, codecDelayMs: 0 };
const clean = { lossPercent: 0, oneWayDelayMs: 0, jitterMs: 0 };

describe('E-model (ITU-T G.107)', () => {
  it('gives R = 93.2 and MOS ≈ 4.41 without impairment (G.107 default values)', () => {
    expect(R_UNIMPAIRED).toBeCloseTo(93.2, 1);
    expect(rFactor(clean, noDelayCodec)).toBeCloseTo(93.2, 1);
    expect(mos(clean, noDelayCodec)).toBeCloseTo(4.41, 2);
  });

  it('maps R to MOS as G.109 tabulates it (90 → 4.34, 80 → 4.03, 70 → 3.60, 60 → 3.10, 50 → 2.58)', () => {
    // G.109 rounds to two decimals (4.024 is listed as 4.03).
    for (const [r, listed] of [[90, 4.34], [80, 4.03], [70, 3.60], [60, 3.10], [50, 2.58]] as const) {
      expect(Math.abs(mosFromR(r) - listed)).toBeLessThanOrEqual(0.01);
    }
  });

  it('clamps MOS to 1 below R 6.5 and to 4.5 above R 100 (the polynomial dips below 1 there)', () => {
    expect(mosFromR(6.4)).toBe(1);
    expect(mosFromR(-20)).toBe(1);
    expect(mosFromR(Number.NaN)).toBe(1);
    expect(mosFromR(101)).toBe(4.5);
    expect(mosFromR(6.5)).toBe(1);
    expect(mosFromR(7)).toBeGreaterThan(1);
    // Without the clamp R = 3 would give a MOS below 1.
    expect(1 + 0.035 * 3 + 7e-6 * 3 * (3 - 60) * 97).toBeLessThan(1);
  });

  it('computes Ie,eff for G.711 with PLC (Bpl 25.1): 2 % random loss → 7.01, bursty (BurstR 2) → 7.28, 20 % → 42.1', () => {
    expect(effectiveIe(G711_PLC, 0)).toBe(0);
    expect(effectiveIe(G711_PLC, 2)).toBeCloseTo((95 * 2) / 27.1, 6);
    expect(effectiveIe(G711_PLC, 2)).toBeCloseTo(7.01, 2);
    expect(effectiveIe(G711_PLC, 2, 2)).toBeCloseTo(7.28, 2);
    expect(effectiveIe(G711_PLC, 20)).toBeCloseTo(42.13, 2);
    // 2 % loss, no delay: R = 93.2 − 7.01 = 86.2, MOS 4.24.
    expect(mos({ ...clean, lossPercent: 2 }, noDelayCodec)).toBeCloseTo(4.24, 2);
  });

  it('counts packets discarded by the jitter buffer as loss', () => {
    expect(rFactor({ ...clean, lossPercent: 1, discardPercent: 2 }, noDelayCodec)).toBeCloseTo(rFactor({ ...clean, lossPercent: 3 }, noDelayCodec), 10);
  });

  it('takes the delay impairment from the mouth-to-ear delay: Idd starts at 100 ms, 3.04 at 200 ms, 24.07 at 400 ms', () => {
    // Idte and Idle at their default echo losses are small; Idd is zero up to mT = 100 ms.
    const idd = (ta: number) => delayImpairmentParts(ta).idd;
    expect(idd(100)).toBe(0);
    expect(idd(200)).toBeCloseTo(3.04, 2);
    expect(idd(400)).toBeCloseTo(24.07, 2);
    expect(delayImpairment(0)).toBeCloseTo(0.15, 2);
    expect(delayImpairment(150)).toBeCloseTo(3.8, 1);
    expect(delayImpairment(400) - delayImpairment(200)).toBeGreaterThan(20);
    // The jitter buffer (2 × jitter) and the codec (20 ms for G.711) add to the network delay.
    expect(rFactor({ ...clean, oneWayDelayMs: 100, jitterMs: 40 }, G711_PLC)).toBeCloseTo(93.35 - delayImpairment(200), 1);
  });

  it('with 15 % loss and 300 ms delay (the issue\'s impairment test) falls below the default threshold 3.6', () => {
    expect(mos({ lossPercent: 15, oneWayDelayMs: 300, jitterMs: 10 }, G711_PLC)).toBeLessThan(3.6);
    const opus = codecTable({ ie: 0, bpl: 25.1 })['audio/opus'];
    expect(mos({ lossPercent: 15, oneWayDelayMs: 300, jitterMs: 10 }, opus)).toBeLessThan(3.6);
  });

  it('never gives a higher MOS when loss, discards, jitter or delay rise', () => {
    const impairment = fc.record({
      lossPercent: fc.double({ min: 0, max: 100, noNaN: true }),
      discardPercent: fc.double({ min: 0, max: 50, noNaN: true }),
      burstR: fc.double({ min: 1, max: 4, noNaN: true }),
      oneWayDelayMs: fc.double({ min: 0, max: 2000, noNaN: true }),
      jitterMs: fc.double({ min: 0, max: 500, noNaN: true }),
    });
    const worse = fc.record({
      loss: fc.double({ min: 0, max: 50, noNaN: true }),
      discard: fc.double({ min: 0, max: 50, noNaN: true }),
      delay: fc.double({ min: 0, max: 1000, noNaN: true }),
      jitter: fc.double({ min: 0, max: 200, noNaN: true }),
    });
    const codec = fc.constantFrom(G711_PLC, noDelayCodec, codecTable({ ie: 10, bpl: 20 })['audio/opus']);
    fc.assert(fc.property(impairment, worse, codec, (i, w, c) => {
      const before = mos(i, c);
      const after = mos({
        ...i, lossPercent: i.lossPercent + w.loss, discardPercent: i.discardPercent + w.discard,
        oneWayDelayMs: i.oneWayDelayMs + w.delay, jitterMs: i.jitterMs + w.jitter,
      }, c);
      return after <= before + 1e-9 && after >= 1 && before <= 4.5;
    }), { numRuns: 2000 });
  });
});

