// One source of a G.711 mix: a jitter buffer of a few packets in the sample
// domain (8 kHz), keyed by RTP timestamp. It starts playing once `depthFrames`
// frames are buffered; each frame the mix takes advances its cursor by one
// frame, and what no packet covered is silence (a lost packet). A buffer that
// runs dry (the sender's clock slower than ours, a pause) fills again to its
// depth before it plays on. A packet older than the cursor is late and dropped; one far ahead of it (a new talk spurt
// after a long gap, a new SSRC) starts the buffer afresh; a buffer that grows
// past twice its depth (a sender's clock faster than ours) skips ahead. A
// source that brought nothing for `dropAfterFrames` frames drops out of the mix
// until its next packet.

export interface MixSourceOptions {
  /** Samples per frame (160: 20 ms at 8 kHz). */
  frameSamples: number;
  /** Frames buffered before the source is heard. */
  depthFrames: number;
  /** Frames without any packet after which the source drops out. */
  dropAfterFrames: number;
}

export interface MixSourceCounters {
  /** Packets taken into the buffer. */
  packets: number;
  /** Frames (or parts of them) no packet covered while the source was heard: played as silence. */
  missing: number;
  /** Packets that came after their time had been played, dropped. */
  late: number;
  /** Times the buffer started afresh (a jump in the timestamps, a new SSRC) or skipped ahead. */
  resyncs: number;
  /** Times the buffer ran dry while heard and filled again before playing on. */
  underruns: number;
}

interface Chunk { ts: number; samples: Int16Array }

/** A timestamp jump this large (in samples, 1 s) starts the buffer afresh instead of waiting for it. */
const RESYNC_SAMPLES = 8000;

/** Signed distance from `from` to `to` on the 32-bit RTP timestamp circle. */
const tsDistance = (from: number, to: number): number => (to - from) | 0;

export class MixSource {
  readonly counters: MixSourceCounters = { packets: 0, missing: 0, late: 0, resyncs: 0, underruns: 0 };
  readonly #opts: MixSourceOptions;
  #chunks: Chunk[] = [];
  #ssrc: number | undefined;
  /** The timestamp of the next sample to play; undefined while filling. */
  #cursor: number | undefined;
  /** Where the cursor stood when the buffer ran dry: older packets are late even while it fills again. */
  #playedTo: number | undefined;
  /** In the mix: filled once, and not dropped out (or started afresh) since. */
  #live = false;
  #idleFrames = 0;

  constructor(opts: MixSourceOptions) { this.#opts = opts; }

  /** Whether the mix hears it now (filled once, and not dropped out or started afresh since). */
  get heard(): boolean { return this.#live; }
  /** Samples buffered ahead of the cursor (or in all, while filling). */
  get buffered(): number { return this.#span(); }

  push(ssrc: number, ts: number, samples: Int16Array): void {
    if (samples.length === 0) return;
    if (this.#ssrc !== undefined && ssrc !== this.#ssrc) this.#restart();
    this.#ssrc = ssrc;
    if (this.#cursor !== undefined) {
      const ahead = tsDistance(this.#cursor, ts);
      if (ahead + samples.length <= 0 && ahead > -RESYNC_SAMPLES) {
        this.counters.late += 1;
        return;
      }
      if (ahead >= RESYNC_SAMPLES || ahead <= -RESYNC_SAMPLES) this.#restart();
    } else if (this.#playedTo !== undefined) {
      const ahead = tsDistance(this.#playedTo, ts);
      if (ahead + samples.length <= 0 && ahead > -RESYNC_SAMPLES) {
        this.counters.late += 1;
        return;
      }
      if (ahead >= RESYNC_SAMPLES || ahead <= -RESYNC_SAMPLES) this.#restart();
    } else if (this.#chunks.length > 0 && Math.abs(tsDistance(this.#chunks[0]!.ts, ts)) >= RESYNC_SAMPLES) {
      this.#chunks = [];
    }
    this.counters.packets += 1;
    this.#idleFrames = 0;
    const at = this.#chunks.findIndex((c) => tsDistance(c.ts, ts) <= 0);
    if (at >= 0 && this.#chunks[at]!.ts === ts) this.#chunks[at] = { ts, samples };
    else if (at >= 0) this.#chunks.splice(at, 0, { ts, samples });
    else this.#chunks.push({ ts, samples });
    this.#startOrSkip();
  }

  /**
   * Adds the next frame into `sum` (missing samples add nothing: silence) and
   * moves on one frame; nothing while filling. A source idle for too long drops out.
   */
  addFrameTo(sum: Int32Array): void {
    const frame = this.#opts.frameSamples;
    if (this.#cursor === undefined) {
      this.#idle();
      return;
    }
    const cursor = this.#cursor;
    let covered = 0;
    for (const chunk of this.#chunks) {
      const offset = tsDistance(cursor, chunk.ts);
      if (offset >= frame) break;
      const from = Math.max(0, -offset);
      const to = Math.min(chunk.samples.length, frame - offset);
      for (let i = from; i < to; i += 1) sum[offset + i]! += chunk.samples[i]!;
      covered += Math.max(0, to - from);
    }
    if (covered < frame) this.counters.missing += 1;
    this.#cursor = (cursor + frame) >>> 0;
    this.#chunks = this.#chunks.filter((c) => tsDistance(this.#cursor!, c.ts) + c.samples.length > 0);
    if (covered === 0) this.#idle();
    else this.#idleFrames = 0;
    // Dry: the next packets fill the buffer to its depth again (otherwise every one of them would be late).
    if (this.#chunks.length === 0 && this.#cursor !== undefined) {
      this.counters.underruns += 1;
      this.#playedTo = this.#cursor;
      this.#cursor = undefined;
    }
  }

  #idle(): void {
    this.#idleFrames += 1;
    if (this.#idleFrames >= this.#opts.dropAfterFrames) this.#forget();
  }

  #restart(): void {
    this.counters.resyncs += 1;
    this.#forget();
  }

  /** Out of the mix: what comes next fills the buffer afresh. */
  #forget(): void {
    this.#chunks = [];
    this.#cursor = undefined;
    this.#playedTo = undefined;
    this.#live = false;
  }

  /** Samples from the cursor (or the first chunk) to the end of the newest chunk. */
  #span(): number {
    const last = this.#chunks.at(-1);
    const first = this.#cursor ?? this.#chunks[0]?.ts;
    if (!last || first === undefined) return 0;
    return Math.max(0, tsDistance(first, last.ts) + last.samples.length);
  }

  /** Starts playing once the depth is buffered; skips ahead when the buffer holds more than twice it. */
  #startOrSkip(): void {
    const depth = this.#opts.depthFrames * this.#opts.frameSamples;
    if (this.#cursor === undefined) {
      if (this.#span() < depth) return;
      this.#cursor = this.#chunks[0]!.ts;
      this.#playedTo = undefined;
      this.#live = true;
      return;
    }
    if (this.#span() <= 2 * depth) return;
    const last = this.#chunks.at(-1)!;
    this.counters.resyncs += 1;
    this.#cursor = (last.ts + last.samples.length - depth) >>> 0;
    this.#chunks = this.#chunks.filter((c) => tsDistance(this.#cursor!, c.ts) + c.samples.length > 0);
  }
}
