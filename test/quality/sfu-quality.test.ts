// The quality monitor on the real SFU: two plain-RTP participants (Node UDP
// sockets) send opus to each other through the MediaPort; a manual clock triggers
// the intervals. The participant whose sender drops every 5th packet gets the
// lost packets in its sample and a MOS below the threshold, the other one does
// not; the call's summary is stored in call_quality when its media closes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'node:dgram';
import { boundUdpSocket, rtpPacket } from '../support/rtp-counter.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SfuMediaPort, type WorkerPool } from '../../src/sfu/index.ts';
import type { CallMedia, MediaParameters } from '../../src/calls/index.ts';
import { Store } from '../../src/store/index.ts';
import {
  CallQualityRecords, QualityMonitor, SfuStatsSource, codecTable, type CallQualitySummary, type LegSample, type StatsReader,
} from '../../src/quality/index.ts';
import { startPool } from '../support/pool.ts';
import { ManualClock } from '../support/manual-clock.ts';

const OPUS = { mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 };
const THRESHOLD = 3.6;


/** Counts the RTP packets (RTCP ignored) a socket receives. */
function counter(socket: Socket): { count: number; until(n: number): Promise<void> } {
  const c = {
    count: 0,
    waiters: [] as Array<{ n: number; resolve: () => void }>,
    until(n: number): Promise<void> {
      if (c.count >= n) return Promise.resolve();
      return new Promise((resolve) => c.waiters.push({ n, resolve }));
    },
  };
  socket.on('message', (msg: Buffer) => {
    const pt = msg[1]! & 0x7f;
    if (msg.length < 12 || (pt >= 72 && pt <= 76)) return;
    c.count += 1;
    for (const w of c.waiters.filter((x) => c.count >= x.n)) w.resolve();
  });
  return c;
}

/** Resolves when a reading shows `check` true; mediasoup counts a loss only when it builds its next receiver report. */
async function untilRead(reader: StatsReader, check: (r: Awaited<ReturnType<StatsReader['read']>>) => boolean): Promise<void> {
  // Bounded at 30 s: a receiver report every few seconds, later on a loaded machine.
  for (let i = 0; i < 600; i++) {
    if (check(await reader.read())) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the SFU never reported the expected counters');
}

describe('quality monitor on the SFU', () => {
  let pool: WorkerPool;
  let store: Store;
  let dir: string;
  let monitor: QualityMonitor;
  const clock = new ManualClock();
  const sockets: Socket[] = [];
  const medias: CallMedia[] = [];

  beforeAll(async () => {
    pool = await startPool();
    dir = mkdtempSync(join(tmpdir(), 'portier-quality-'));
    store = await Store.open(join(dir, 'portier.db'));
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    medias.forEach((m) => m.close());
    await monitor?.close();
    await pool?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A participant sending opus from `sender` and receiving everyone else's on `receiver`. */
  async function participant(media: CallMedia, id: string, kind: 'terminal' | 'desk', ssrc: number) {
    media.join({ id, kind, audioCodec: 'audio/opus' });
    const sender = await boundUdpSocket();
    const receiver = await boundUdpSocket();
    sockets.push(sender.socket, receiver.socket);
    const input = await media.createPlainTransport(id, { ip: '127.0.0.1', comedia: true });
    const producerId = await media.produce(id, input.id, 'audio', { codecs: [OPUS], encodings: [{ ssrc }] } as unknown as MediaParameters);
    const output = await media.createPlainTransport(id, { ip: '127.0.0.1', comedia: false });
    await media.connectPlain(id, output.id, { ip: '127.0.0.1', port: receiver.port });
    let seq = 0;
    return {
      id, producerId, output, received: counter(receiver.socket),
      /** Sends `n` packets, leaving out every `dropEvery`th sequence number (0: none). */
      send(n: number, dropEvery = 0): number {
        let sent = 0;
        for (let i = 0; i < n; i++) {
          seq += 1;
          if (dropEvery && seq % dropEvery === 0) continue;
          sender.socket.send(rtpPacket(OPUS.payloadType, seq, ssrc), input.port, '127.0.0.1');
          sent += 1;
        }
        return sent;
      },
    };
  }

  function samples(n: number): Promise<LegSample[]> {
    return new Promise((resolve) => {
      const got: LegSample[] = [];
      const on = (s: LegSample) => {
        got.push(s);
        if (got.length < n) return;
        monitor.off('sample', on);
        resolve(got);
      };
      monitor.on('sample', on);
    });
  }

  it('a leg whose sender drops every 5th packet has that loss and a MOS below the threshold; the summary is stored', async () => {
    const stats = new SfuStatsSource();
    const records = new CallQualityRecords(store);
    monitor = new QualityMonitor({
      clock, stats, recorder: records,
      settings: { intervalMs: 5000, mosThreshold: THRESHOLD, lowIntervals: 1, codecs: codecTable({ ie: 0, bpl: 25.1 }), reportsPerInterval: 2, timelineIntervals: 60 },
    });
    const low: string[] = [];
    monitor.on('low-quality', (l) => low.push(l.participantId));
    const port = monitor.watch(new SfuMediaPort(pool));
    const media = await port.open('call-quality-1');
    medias.push(media);
    // A reader of its own, to know when mediasoup's receiver report has counted the loss.
    const probe = (stats.track(media) as StatsReader);

    const lossy = await participant(media, 'terminal-1', 'terminal', 5001);
    const clean = await participant(media, 'desk-1', 'desk', 5002);
    for (const [to, from] of [[lossy, clean], [clean, lossy]] as const) {
      const consumer = await media.consume(to.id, to.output.id, from.producerId);
      await media.resume(to.id, consumer.id);
    }

    // Interval 1: 101 packets each; the terminal leaves out 5, 10, … 100 (20 packets).
    expect(lossy.send(101, 5)).toBe(81);
    expect(clean.send(101)).toBe(101);
    await Promise.all([clean.received.until(81), lossy.received.until(101)]);
    await untilRead(probe, (r) => r.find((c) => c.participantId === 'terminal-1')?.audioUp[0]?.lost === 20);
    let next = samples(2);
    await clock.advance(5000);
    const first = new Map((await next).map((s) => [s.participantId, s]));
    const t1 = first.get('terminal-1')!;
    const d1 = first.get('desk-1')!;
    expect(t1.interval).toBe(1);
    expect(t1.lossPercent).toBeCloseTo((20 / 101) * 100, 6);
    expect(d1.lossPercent).toBe(0);
    expect(t1.mos!).toBeLessThan(THRESHOLD);
    expect(d1.mos!).toBeGreaterThan(4);
    expect(t1.mos!).toBeLessThan(d1.mos!);
    expect(t1).toMatchObject({ kind: 'terminal', codec: 'audio/opus', rttMs: null });
    expect(low).toEqual(['terminal-1']);

    // Interval 2: nothing lost; only the differences count, so the terminal's leg is clean again.
    expect(lossy.send(100)).toBe(100);
    expect(clean.send(100)).toBe(100);
    await Promise.all([clean.received.until(181), lossy.received.until(201)]);
    await untilRead(probe, (r) => r.find((c) => c.participantId === 'terminal-1')?.audioUp[0]?.packets === 181);
    next = samples(2);
    await clock.advance(5000);
    const second = await next;
    expect(second.map((s) => [s.participantId, s.interval, s.lossPercent])).toEqual([['terminal-1', 2, 0], ['desk-1', 2, 0]]);
    expect(second.every((s) => s.mos! > 4)).toBe(true);

    const stored = new Promise<CallQualitySummary>((resolve) => monitor.once('summary', resolve));
    media.close();
    const summary = await stored;
    expect(await records.get('call-quality-1')).toEqual(summary);
    expect(summary).toMatchObject({ callId: 'call-quality-1', intervals: 4, belowShare: 0.25, minMos: t1.mos, worstRttMs: null });
    expect(summary.worstLossPercent).toBeCloseTo((20 / 101) * 100, 6);
    expect(summary.meanMos).toBeCloseTo((t1.mos! + d1.mos! + second[0]!.mos! + second[1]!.mos!) / 4, 9);
    expect(monitor.watching).toEqual([]);
    expect(clock.pending).toBe(0);
  });
});
