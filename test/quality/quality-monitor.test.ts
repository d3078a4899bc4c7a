// The quality monitor's bookkeeping with scripted counters and a manual clock:
// one sample per leg and interval, low-quality after N low intervals in a row
// (once, then recovered), the call's summary when its media closes, nothing left
// running afterwards.
import { describe, expect, it } from 'vitest';
import { TypedEmitter } from '../../src/core/index.ts';
import type { CallMedia, CallMediaObserverEvents, MediaParticipant, MediaPort } from '../../src/calls/index.ts';
import type { CallService } from '../../src/calls/index.ts';
import {
  QualityMetrics, QualityMonitor, browserInterval, farEndInterval, codecTable, type CallQualitySummary, type LegSample, type LowQuality, type ParticipantCounters, type StatsReader,
} from '../../src/quality/index.ts';
import { ManualClock } from '../support/manual-clock.ts';

class Observer extends TypedEmitter<CallMediaObserverEvents> {
  emit<K extends keyof CallMediaObserverEvents & string>(e: K, ...a: CallMediaObserverEvents[K]): void { this.safeEmit(e, ...a); }
}

/** The part of a CallMedia the monitor looks at. */
function fakeMedia(participants: MediaParticipant[]) {
  const observer = new Observer();
  let closed = false;
  const media = {
    get closed() { return closed; },
    observer,
    participant: (id: string) => participants.find((p) => p.id === id),
    close: () => { if (!closed) { closed = true; observer.emit('close'); } },
  };
  return media as unknown as CallMedia & { close(): void; observer: Observer };
}

/** Counters whose audio went up by `packets` with `lost` of them lost since the last reading. */
class ScriptedReader implements StatsReader {
  readonly totals = new Map<string, { packets: number; lost: number }>();
  reads = 0;
  step(participantId: string, packets: number, lost: number): void {
    const t = this.totals.get(participantId) ?? { packets: 0, lost: 0 };
    this.totals.set(participantId, { packets: t.packets + packets, lost: t.lost + lost });
  }
  async read(): Promise<ParticipantCounters[]> {
    this.reads += 1;
    return [...this.totals].map(([participantId, t]) => ({
      participantId, audioUp: [{ id: `${participantId}-mic`, packets: t.packets, lost: t.lost, jitterMs: 5, rttMs: 40 }],
      audioDown: [], bitrateBps: 64_000, nack: 0, pli: 0, fir: 0, score: 10,
    }));
  }
}

const BROWSERS: MediaParticipant[] = [
  { id: 'terminal-1', kind: 'terminal', audioCodec: 'audio/opus', inCall: true },
  { id: 'desk-1', kind: 'desk', audioCodec: 'audio/opus', inCall: true },
];

function setup(participants: MediaParticipant[] = BROWSERS) {
  const clock = new ManualClock();
  const reader = new ScriptedReader();
  const saved: CallQualitySummary[] = [];
  const monitor = new QualityMonitor({
    clock, stats: { track: () => reader }, recorder: { save: async (s) => { saved.push(s); } },
    settings: { intervalMs: 5000, mosThreshold: 3.6, lowIntervals: 2, codecs: codecTable({ ie: 0, bpl: 25.1 }), reportsPerInterval: 2, timelineIntervals: 3 },
  });
  const samples: LegSample[] = [];
  const events: string[] = [];
  monitor.on('sample', (s) => samples.push(s));
  monitor.on('low-quality', (l: LowQuality) => events.push(`low ${l.participantId} after ${l.intervals}`));
  monitor.on('recovered', (r) => events.push(`recovered ${r.participantId}`));
  const media = fakeMedia(participants);
  const port: MediaPort = monitor.watch({ open: async () => media });
  return { clock, reader, saved, monitor, samples, events, media, port };
}

describe('quality monitor', () => {
  it('samples every leg once per interval from the counters\' differences, on the clock\'s interval', async () => {
    const { clock, reader, samples, port, monitor } = setup();
    await port.open('call-1');
    expect(monitor.watching).toEqual(['call-1']);
    reader.step('terminal-1', 250, 0);
    reader.step('desk-1', 200, 50);
    await clock.advance(4999);
    expect(reader.reads).toBe(0);
    await clock.advance(1);
    expect(reader.reads).toBe(1);
    expect(samples.map((s) => [s.participantId, s.interval, Math.round(s.lossPercent)])).toEqual([['terminal-1', 1, 0], ['desk-1', 1, 20]]);
    // The second interval sees only what happened since the first.
    reader.step('terminal-1', 250, 0);
    reader.step('desk-1', 250, 0);
    await clock.advance(5000);
    expect(samples.slice(2).map((s) => [s.participantId, s.interval, s.lossPercent])).toEqual([['terminal-1', 2, 0], ['desk-1', 2, 0]]);
    expect(samples[0]!.mos).toBeGreaterThan(4);
    expect(samples[1]!.mos).toBeLessThan(3.6);
    expect(samples[0]).toMatchObject({ callId: 'call-1', kind: 'terminal', codec: 'audio/opus', rttMs: 40, jitterMs: 5, score: 10 });
    await monitor.close();
  });

  it('reports a leg low-quality after N low intervals in a row, once, and its recovery', async () => {
    const { clock, reader, events, port, monitor } = setup();
    await port.open('call-2');
    const interval = async (lost: number) => { reader.step('terminal-1', 250 - lost, lost); await clock.advance(5000); };
    await interval(50); // low 1
    await interval(0); // good: the run starts again
    await interval(50); // low 1
    expect(events).toEqual([]);
    await interval(50); // low 2 → reported
    await interval(50); // still low: not reported again
    expect(events).toEqual(['low terminal-1 after 2']);
    await interval(0);
    expect(events).toEqual(['low terminal-1 after 2', 'recovered terminal-1']);
    await monitor.close();
  });

  it('stores the call\'s summary when its media closes and stops measuring it', async () => {
    const { clock, reader, saved, samples, port, media, monitor } = setup();
    await port.open('call-3');
    reader.step('terminal-1', 250, 0);
    await clock.advance(5000);
    reader.step('terminal-1', 200, 50);
    await clock.advance(5000);
    media.close();
    await clock.advance(0);
    expect(saved).toHaveLength(1);
    const s = saved[0]!;
    expect(s).toMatchObject({ callId: 'call-3', startedAt: clock.t - 10_000, endedAt: clock.t, intervals: 2, belowShare: 0.5, worstLossPercent: expect.closeTo(20, 9), worstRttMs: 40, worstJitterMs: 5 });
    const moses = samples.map((x) => x.mos!);
    expect(moses).toHaveLength(2);
    expect(s.minMos).toBe(Math.min(...moses));
    expect(s.minMos!).toBeLessThan(3.6);
    expect(s.meanMos).toBeCloseTo((moses[0]! + moses[1]!) / 2, 12);
    expect(monitor.watching).toEqual([]);
    expect(clock.pending).toBe(0);
    const reads = reader.reads;
    await clock.advance(60_000);
    expect(reader.reads).toBe(reads);
    await monitor.close();
    expect(saved).toHaveLength(1);
  });

  it('on close stores the summaries of calls still running and leaves no timer', async () => {
    const { clock, saved, port, monitor } = setup();
    await port.open('call-4');
    expect(clock.pending).toBe(1);
    await monitor.close();
    await monitor.close();
    expect(saved.map((s) => [s.callId, s.intervals, s.minMos])).toEqual([['call-4', 0, null]]);
    expect(clock.pending).toBe(0);
    // A call opened after close is not watched.
    await port.open('call-5');
    expect(clock.pending).toBe(0);
  });

  it('counts every rated leg-interval into the MOS, loss and jitter histograms of /metrics', async () => {
    const { clock, reader, port, monitor } = setup();
    const calls = Object.assign(new TypedEmitter<Record<string, unknown[]>>(), { activeCalls: [] }) as unknown as CallService;
    const metrics = new QualityMetrics({ calls, quality: monitor });
    await port.open('call-6');
    reader.step('terminal-1', 250, 0); // MOS ≈ 4.4
    reader.step('desk-1', 200, 50); // 20 % loss: MOS ≈ 2.5
    await clock.advance(5000);
    await clock.advance(5000); // nothing flowed: no MOS, not counted
    await clock.advance(5000);
    const text = metrics.render();
    const value = (line: string) => Number(text.split('\n').find((l) => l.startsWith(`${line} `))?.split(' ')[1]);
    expect(value('portier_call_leg_mos_count')).toBe(2);
    expect(value('portier_call_leg_mos_bucket{le="3"}')).toBe(1);
    expect(value('portier_call_leg_mos_bucket{le="4.5"}')).toBe(2);
    expect(value('portier_call_leg_mos_bucket{le="+Inf"}')).toBe(2);
    expect(value('portier_call_leg_loss_percent_bucket{le="0"}')).toBe(1);
    expect(value('portier_call_leg_loss_percent_bucket{le="20"}')).toBe(2);
    expect(value('portier_call_leg_jitter_ms_bucket{le="5"}')).toBe(2);
    expect(value('portier_calls{state="answered"}')).toBe(0);
    metrics.close();
    await monitor.close();
  });
});

describe('browser getStats reports (quality.report)', () => {
  const audio = (packetsReceived: number, packetsLost: number, packetsDiscarded: number) => ({ packetsReceived, packetsLost, packetsDiscarded, jitterMs: 5 });

  it('counts packets the jitter buffer discarded as loss: the leg\'s MOS falls although the SFU saw no loss', async () => {
    const { clock, reader, samples, port, monitor } = setup();
    await port.open('call-b1');
    reader.step('terminal-1', 250, 0);
    reader.step('desk-1', 250, 0);
    // The terminal's browser received 250 packets and discarded 50 of them (arrived too late).
    monitor.report('call-b1', 'terminal-1', { audio: audio(250, 0, 50), video: { framesDecoded: 100, framesDropped: 3, freezeCount: 1 }, rttMs: 40 });
    await clock.advance(5000);
    const [terminal, desk] = samples;
    expect(terminal).toMatchObject({ participantId: 'terminal-1', discardPercent: 20, lossPercent: 0, framesDropped: 3, freezes: 1 });
    expect(terminal!.mos!).toBeLessThan(3.6);
    expect(desk).toMatchObject({ participantId: 'desk-1', discardPercent: 0, framesDropped: null, freezes: null });
    expect(desk!.mos!).toBeGreaterThan(4.3);
    // The next interval folds only what grew since the report the first one used.
    reader.step('terminal-1', 250, 0);
    monitor.report('call-b1', 'terminal-1', { audio: audio(500, 0, 50), video: { framesDecoded: 200, framesDropped: 3, freezeCount: 1 }, rttMs: 40 });
    await clock.advance(5000);
    expect(samples[2]).toMatchObject({ participantId: 'terminal-1', discardPercent: 0, framesDropped: 0, freezes: 0 });
    expect(samples[2]!.mos!).toBeGreaterThan(4.3);
    await monitor.close();
  });

  it('takes the worse of the SFU\'s and the browser\'s loss, jitter and round-trip time, never their sum', async () => {
    const { clock, reader, samples, port, monitor } = setup();
    await port.open('call-b2');
    reader.step('terminal-1', 225, 25); // 10 % lost on the way up
    monitor.report('call-b2', 'terminal-1', { audio: { packetsReceived: 240, packetsLost: 10, packetsDiscarded: 0, jitterMs: 30 }, rttMs: 300 }); // 4 % down
    await clock.advance(5000);
    const s = samples[0]!;
    expect(s.lossPercent).toBeCloseTo(100 * (1 - 0.9 * 0.96), 9);
    expect(s).toMatchObject({ jitterMs: 30, rttMs: 300 });
    // Without the report the same SFU counters rate better: the browser's view made it worse.
    reader.step('terminal-1', 225, 25);
    await clock.advance(5000);
    expect(samples[1]).toMatchObject({ participantId: 'terminal-1', lossPercent: expect.closeTo(10, 9), jitterMs: 5, rttMs: 40, framesDropped: null });
    expect(samples[1]!.mos!).toBeGreaterThan(s.mos!);
    await monitor.close();
  });

  it('answers with the leg\'s latest MOS and level; refuses a leg not in a watched call (not-found) and more reports than allowed per interval (rate-limited)', async () => {
    const { clock, reader, port, monitor } = setup();
    await port.open('call-b3');
    expect(monitor.report('call-b3', 'terminal-1', {})).toEqual({ mos: null, level: null, intervalMs: 5000 });
    expect(monitor.report('call-b3', 'terminal-1', {})).toMatchObject({ mos: null });
    expect(() => monitor.report('call-b3', 'terminal-1', {})).toThrow(expect.objectContaining({ name: 'RateLimitedError', code: 'rate-limited' }));
    expect(() => monitor.report('call-b3', 'desk-9', {})).toThrow(expect.objectContaining({ name: 'NotFoundError', code: 'not-found' }));
    expect(() => monitor.report('call-nope', 'terminal-1', {})).toThrow(expect.objectContaining({ code: 'not-found' }));
    reader.step('terminal-1', 250, 0);
    reader.step('desk-1', 200, 50);
    await clock.advance(5000);
    // A new interval: reports are taken again, and carry the MOS of the interval that ended.
    expect(monitor.report('call-b3', 'terminal-1', {})).toMatchObject({ mos: expect.closeTo(4.41, 1), level: 'good' });
    expect(monitor.report('call-b3', 'desk-1', {})).toMatchObject({ level: 'poor' });
    await monitor.close();
  });

  it('live(): each leg\'s last sample, the call\'s MOS as its worst leg\'s, a timeline of the last timelineIntervals intervals; null once ended', async () => {
    const { clock, reader, port, media, monitor } = setup();
    await port.open('call-b4');
    expect(monitor.live('call-b4')).toEqual({ callId: 'call-b4', mos: null, level: null, legs: [], timeline: [] });
    reader.step('terminal-1', 250, 0);
    reader.step('desk-1', 250, 0);
    await clock.advance(5000);
    reader.step('terminal-1', 250, 0);
    reader.step('desk-1', 200, 50); // 20 % loss on the desk's leg
    await clock.advance(5000);
    await clock.advance(5000); // nothing flowed
    reader.step('terminal-1', 250, 0);
    reader.step('desk-1', 250, 0);
    await clock.advance(5000);
    const live = monitor.live('call-b4')!;
    expect(live.legs.map((l) => [l.participantId, l.interval, l.level])).toEqual([['terminal-1', 4, 'good'], ['desk-1', 4, 'good']]);
    expect(live.mos).toBe(Math.min(...live.legs.map((l) => l.mos!)));
    // Three intervals kept (timelineIntervals), oldest first: the low one, the silent one, the good one.
    expect(live.timeline.map((p) => p.interval)).toEqual([2, 3, 4]);
    expect(live.timeline[0]!.mos!).toBeLessThan(3.6);
    expect(live.timeline[1]!.mos).toBeNull();
    expect(live.timeline[2]!.mos).toBe(live.mos);
    expect(live.timeline[2]!.at).toBe(clock.t);
    expect(monitor.live('call-unknown')).toBeNull();
    media.close();
    await clock.advance(0);
    expect(monitor.live('call-b4')).toBeNull();
    await monitor.close();
  });

  it('packets lost can fall (late packets arrived after all): the interval counts no loss, not the whole cumulative count', () => {
    // Seen in the impairment test: once a 300 ms delay was lifted, packets sent before arrived after newer ones.
    const before = { audio: { packetsReceived: 1000, packetsLost: 40, packetsDiscarded: 10, jitterMs: 4 } };
    const now = { audio: { packetsReceived: 1250, packetsLost: 35, packetsDiscarded: 12, jitterMs: 6 } };
    expect(browserInterval(now, before)).toMatchObject({ received: 250, lost: 0, discarded: 2 });
  });

  it('a receiver that started afresh or closed (packets received or frames decoded went down) adds no counts that interval', () => {
    const before = { audio: { packetsReceived: 1000, packetsLost: 20, packetsDiscarded: 10, jitterMs: 4 }, video: { framesDecoded: 500, framesDropped: 9, freezeCount: 2 } };
    const now = { audio: { packetsReceived: 100, packetsLost: 1, packetsDiscarded: 0, jitterMs: 6 }, video: { framesDecoded: 50, framesDropped: 1, freezeCount: 0 }, rttMs: 20 };
    expect(browserInterval(now, before)).toEqual({ received: 0, lost: 0, discarded: 0, jitterMs: 6, rttMs: 20, framesDropped: 0, freezes: 0 });
    // The next interval counts from the new receiver's counters.
    const next = { audio: { packetsReceived: 350, packetsLost: 11, packetsDiscarded: 5, jitterMs: 6 }, video: { framesDecoded: 200, framesDropped: 4, freezeCount: 1 } };
    expect(browserInterval(next, now)).toMatchObject({ received: 250, lost: 10, discarded: 5, framesDropped: 3, freezes: 1 });
    expect(browserInterval(before, undefined)).toMatchObject({ received: 1000, lost: 20, discarded: 10, rttMs: null, freezes: 2 });
  });
});

describe('a telephone\'s own receiver reports (farendreport, the SIP relay\'s RTCP)', () => {
  const PHONE: MediaParticipant[] = [...BROWSERS, { id: 'sip-1', kind: 'sip', audioCodec: 'audio/PCMA', inCall: true }];
  const report = (expected: number, lost: number, rttMs: number | null = 120, ssrc = 7) => ({ ssrc, reporter: 0x1234, expected, lost, jitterMs: 25, rttMs });

  it('the phone\'s loss is the leg\'s loss down (the SFU alone saw none), its jitter and RTT the worst; an interval without a report uses the SFU alone', async () => {
    const { clock, reader, samples, port, monitor, media } = setup(PHONE);
    await port.open('call-p1');
    reader.step('sip-1', 250, 0);
    media.observer.emit('farendreport', 'sip-1', report(250, 25));
    await clock.advance(5000);
    const first = samples.find((s) => s.participantId === 'sip-1')!;
    expect(first).toMatchObject({ lossPercent: expect.closeTo(10, 9), jitterMs: 25, rttMs: 120, framesDropped: null });
    expect(first.mos!).toBeLessThan(3.6);
    // The next report counts only what grew: 250 more expected, none lost.
    reader.step('sip-1', 250, 0);
    media.observer.emit('farendreport', 'sip-1', report(500, 25));
    await clock.advance(5000);
    expect(samples.filter((s) => s.participantId === 'sip-1')[1]).toMatchObject({ lossPercent: 0, jitterMs: 25, rttMs: 120 });
    // No report this interval: the SFU's counters alone (its jitter 5 ms, RTT 40 ms).
    reader.step('sip-1', 250, 0);
    await clock.advance(5000);
    expect(samples.filter((s) => s.participantId === 'sip-1')[2]).toMatchObject({ lossPercent: 0, jitterMs: 5, rttMs: 40 });
    // A report for a leg nobody reads (not in the call's counters) changes no other leg's sample.
    expect(samples.filter((s) => s.participantId !== 'sip-1').every((s) => s.lossPercent === 0)).toBe(true);
    await monitor.close();
  });

  it('cumulative counters: a fall adds nothing, another SSRC (a new consumer) counts from its start', () => {
    expect(farEndInterval(report(100, 5), undefined)).toEqual({ received: 95, lost: 5, jitterMs: 25, rttMs: 120 });
    // Lost fell (late packets arrived after all): no loss this interval, not the whole count again.
    expect(farEndInterval(report(200, 3), report(100, 5))).toEqual({ received: 100, lost: 0, jitterMs: 25, rttMs: 120 });
    // Expected went down on the same stream: nothing is counted.
    expect(farEndInterval(report(50, 9, null), report(100, 5))).toEqual({ received: 0, lost: 0, jitterMs: 25, rttMs: null });
    // Another stream of ours: from its start.
    expect(farEndInterval(report(40, 4, 80, 8), report(100, 5))).toEqual({ received: 36, lost: 4, jitterMs: 25, rttMs: 80 });
    // Never more lost than expected.
    expect(farEndInterval(report(110, 30), report(100, 5))).toMatchObject({ received: 0, lost: 10 });
  });
});
