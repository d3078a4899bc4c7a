// The G.711 mix a telephone hears in a call of more than two, without a network:
// RTP packets of each source in, one 20 ms RTP packet per frame out. Sum and
// clipping, both laws in and out, a lost packet (silence), a late one (dropped),
// one out of order (played in order), a source that leaves or falls silent, and
// the mix's own sequence numbers, timestamps and SSRC.
import { describe, expect, it } from 'vitest';
import { G711Mix, decodeG711, encodeG711, readRtp, toneEnergy, writeRtp, type G711Law } from '../../src/media/index.ts';

const FRAME = 160;
const PT: Record<G711Law, number> = { PCMU: 0, PCMA: 8 };

/** A source's packet number `n` (20 ms each) in `law`: constant `value`, or a tone of `hz` (amplitude 8000). */
function packet(law: G711Law, n: number, sound: { value: number } | { hz: number }, ssrc = 1000, payloadType = PT[law]): Buffer {
  const samples = Array.from({ length: FRAME }, (_, i) => ('value' in sound ? sound.value : Math.round(8000 * Math.sin((2 * Math.PI * sound.hz * (n * FRAME + i)) / 8000))));
  return writeRtp({ payloadType, marker: n === 0, sequenceNumber: n, timestamp: 5000 + n * FRAME, ssrc, payload: encodeG711(law, samples) });
}

const mix = (law: G711Law = 'PCMU') => new G711Mix({ law, depthFrames: 2, dropAfterFrames: 10, ssrc: 0xabc, firstSequence: 65535, firstTimestamp: 2 ** 32 - 160 });
const samplesOf = (law: G711Law, out: Buffer) => decodeG711(law, readRtp(out)!.payload);
const mean = (s: Int16Array) => s.reduce((a, b) => a + b, 0) / s.length;

describe('G.711 mix', () => {
  it('sums two sources (each within G.711 quantisation) and waits for each buffer\'s depth before it is heard', () => {
    const m = mix();
    m.addSource('terminal', 'PCMU');
    m.addSource('desk', 'PCMU');
    m.push('terminal', packet('PCMU', 0, { value: 1000 }));
    m.push('desk', packet('PCMU', 0, { value: 2000 }));
    // One packet each is below the depth of two: silence, nobody heard yet.
    expect(mean(samplesOf('PCMU', m.frame()))).toBe(0);
    expect([m.hears('terminal'), m.hears('desk')]).toEqual([false, false]);
    m.push('terminal', packet('PCMU', 1, { value: 1000 }));
    m.push('desk', packet('PCMU', 1, { value: 2000 }));
    expect([m.hears('terminal'), m.hears('desk')]).toEqual([true, true]);
    const sum = mean(samplesOf('PCMU', m.frame()));
    expect(sum).toBeGreaterThan(2850);
    expect(sum).toBeLessThan(3150);
  });

  it('carries both sources\' tones, and a source that leaves is no longer heard', () => {
    const m = mix();
    m.addSource('terminal', 'PCMU');
    m.addSource('desk', 'PCMU');
    const frames: Int16Array[] = [];
    for (let n = 0; n < 6; n += 1) {
      m.push('terminal', packet('PCMU', n, { hz: 440 }, 1));
      m.push('desk', packet('PCMU', n, { hz: 1000 }, 2));
      frames.push(samplesOf('PCMU', m.frame()));
    }
    const both = frames[4]!;
    expect(toneEnergy(both, 440)).toBeGreaterThan(100 * toneEnergy(both, 700));
    expect(toneEnergy(both, 1000)).toBeGreaterThan(100 * toneEnergy(both, 700));
    m.removeSource('desk');
    expect(m.sources).toEqual(['terminal']);
    const alone = samplesOf('PCMU', m.frame());
    expect(toneEnergy(alone, 440)).toBeGreaterThan(100 * toneEnergy(alone, 1000));
  });

  it('clips a sum beyond 16 bits to full scale instead of wrapping it', () => {
    const m = mix();
    m.addSource('a', 'PCMU');
    m.addSource('b', 'PCMU');
    for (const n of [0, 1]) {
      m.push('a', packet('PCMU', n, { value: 30000 }));
      m.push('b', packet('PCMU', n, { value: 30000 }));
    }
    expect(Math.min(...samplesOf('PCMU', m.frame()))).toBe(32124);
    expect(m.counters.clipped).toBe(FRAME);
    for (const n of [2, 3]) {
      m.push('a', packet('PCMU', n, { value: -30000 }));
      m.push('b', packet('PCMU', n, { value: -30000 }));
    }
    m.frame();
    expect(Math.max(...samplesOf('PCMU', m.frame()))).toBe(-32124);
  });

  it.each([['PCMA', 'PCMU'], ['PCMU', 'PCMA'], ['PCMA', 'PCMA']] as Array<[G711Law, G711Law]>)('decodes %s sources and sends %s', (inLaw, outLaw) => {
    const m = mix(outLaw);
    m.addSource('phone', inLaw);
    m.push('phone', packet(inLaw, 0, { value: -1500 }));
    m.push('phone', packet(inLaw, 1, { value: -1500 }));
    const out = m.frame();
    expect(readRtp(out)!.payloadType).toBe(PT[outLaw]);
    const level = mean(samplesOf(outLaw, out));
    expect(level).toBeGreaterThan(-1600);
    expect(level).toBeLessThan(-1400);
  });

  it('plays a lost packet as silence and goes on with the next one in its place', () => {
    const m = mix();
    m.addSource('a', 'PCMU');
    for (const n of [0, 1, 3]) m.push('a', packet('PCMU', n, { value: 4000 }));
    const levels = [0, 1, 2, 3].map(() => mean(samplesOf('PCMU', m.frame())));
    expect(levels.map((l) => Math.round(l / 1000))).toEqual([4, 4, 0, 4]);
    expect(m.sourceCounters('a')).toMatchObject({ packets: 3, missing: 1, late: 0 });
  });

  it('drops a packet that arrives after its time was played, and plays one that is only out of order', () => {
    const m = mix();
    m.addSource('a', 'PCMU');
    m.push('a', packet('PCMU', 0, { value: 1000 }));
    m.push('a', packet('PCMU', 1, { value: 2000 }));
    m.push('a', packet('PCMU', 3, { value: 4000 }));
    const first = [0, 1].map(() => mean(samplesOf('PCMU', m.frame())));
    // Packet 2 after packet 3, but before its frame: played in order.
    m.push('a', packet('PCMU', 2, { value: 3000 }));
    const next = [2, 3].map(() => mean(samplesOf('PCMU', m.frame())));
    // Packet 1 again, long after its frame: late.
    m.push('a', packet('PCMU', 1, { value: 9000 }));
    m.push('a', packet('PCMU', 4, { value: 5000 }));
    m.push('a', packet('PCMU', 5, { value: 6000 }));
    const last = mean(samplesOf('PCMU', m.frame()));
    expect([...first, ...next, last].map((l) => Math.round(l / 1000))).toEqual([1, 2, 3, 4, 5]);
    expect(m.sourceCounters('a')).toMatchObject({ late: 1, missing: 0 });
  });

  it('drops a source out after its silence and hears it again after a new talk spurt', () => {
    const m = new G711Mix({ law: 'PCMU', depthFrames: 2, dropAfterFrames: 3 });
    m.addSource('a', 'PCMU');
    for (const n of [0, 1]) m.push('a', packet('PCMU', n, { value: 1000 }));
    m.frame();
    m.frame();
    expect(m.hears('a')).toBe(true);
    for (let i = 0; i < 3; i += 1) m.frame();
    expect(m.hears('a')).toBe(false);
    // Ten seconds later (timestamps far ahead), a new spurt fills the buffer again.
    for (const n of [500, 501]) m.push('a', packet('PCMU', n, { value: 2000 }));
    expect(m.hears('a')).toBe(true);
    expect(Math.round(mean(samplesOf('PCMU', m.frame())) / 1000)).toBe(2);
  });

  it('owns its stream: one SSRC, sequence numbers and timestamps that step (and wrap) per 20 ms, the marker on the first packet only', () => {
    const m = mix('PCMA');
    m.addSource('a', 'PCMU');
    const out = [0, 1, 2].map(() => readRtp(m.frame())!);
    expect(out.map((p) => [p.ssrc, p.sequenceNumber, p.timestamp, p.marker, p.payload.length])).toEqual([
      [0xabc, 65535, 2 ** 32 - 160, true, FRAME],
      [0xabc, 0, 0, false, FRAME],
      [0xabc, 1, 160, false, FRAME],
    ]);
    // Silence in A-law is 0xd5, not zero bytes.
    expect(out[0]!.payload.every((b) => b === 0xd5)).toBe(true);
  });

  it('moves the timestamp on by frames skipped in a stall: sequence numbers stay contiguous, the marker marks the next packet (review s23 #8)', () => {
    const m = mix();
    const before = readRtp(m.frame())!;
    m.skip(10);
    const after = readRtp(m.frame())!;
    const next = readRtp(m.frame())!;
    expect([after.sequenceNumber, (after.timestamp - before.timestamp) >>> 0, after.marker]).toEqual([(before.sequenceNumber + 1) & 0xffff, 11 * FRAME, true]);
    expect([next.sequenceNumber, (next.timestamp - after.timestamp) >>> 0, next.marker]).toEqual([(after.sequenceNumber + 1) & 0xffff, FRAME, false]);
    expect(m.counters).toMatchObject({ frames: 3, skipped: 10 });
  });

  it('refuses what is not its sources\' RTP: another payload type, an unknown source, not RTP', () => {
    const m = mix();
    m.addSource('a', 'PCMU');
    m.push('a', packet('PCMU', 0, { value: 1000 }, 1, 111));
    m.push('b', packet('PCMU', 0, { value: 1000 }));
    m.push('a', Buffer.from('not rtp at all'));
    expect(m.counters.refused).toBe(3);
    expect(m.sourceCounters('a')!.packets).toBe(0);
  });

  it('starts a source afresh when its SSRC changes (a PBX transfer)', () => {
    const m = mix();
    m.addSource('a', 'PCMU');
    for (const n of [0, 1]) m.push('a', packet('PCMU', n, { value: 1000 }, 1));
    m.push('a', packet('PCMU', 40, { value: 3000 }, 2));
    expect(m.hears('a')).toBe(false);
    m.push('a', packet('PCMU', 41, { value: 3000 }, 2));
    expect(Math.round(mean(samplesOf('PCMU', m.frame())) / 1000)).toBe(3);
    expect(m.sourceCounters('a')!.resyncs).toBe(1);
  });
});

describe('G.711 mix, a source slower than the mix', () => {
  it('fills a buffer that ran dry to its depth again instead of calling every later packet late', () => {
    const m = mix();
    m.addSource('a', 'PCMU');
    for (const n of [0, 1]) m.push('a', packet('PCMU', n, { value: 1000 }));
    m.frame();
    m.frame();
    // Dry: the next frame is silence, and the packets that come now are not late.
    expect(mean(samplesOf('PCMU', m.frame()))).toBe(0);
    for (const n of [2, 3]) m.push('a', packet('PCMU', n, { value: 2000 }));
    expect(Math.round(mean(samplesOf('PCMU', m.frame())) / 1000)).toBe(2);
    expect(m.sourceCounters('a')).toMatchObject({ late: 0, underruns: 1 });
  });
});
