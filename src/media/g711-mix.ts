// The G.711 mix one non-browser participant (a telephone) hears in a call of
// more than two: every other participant's G.711 audio decoded (table lookups),
// summed with clipping to 16 bits, and encoded in the participant's own law as
// one RTP stream of 20 ms packets. mediasoup forwards streams but does not mix
// them; a browser plays every stream it receives, a telephone plays one. The
// mix owns its stream's SSRC, sequence numbers and timestamps (random starts,
// RFC 3550 §5.1); each source has its own jitter buffer (g711-mix-source.ts).
// Pure: packets in, packets out, `frame()` called once per 20 ms by its owner.
import { randomInt } from 'node:crypto';
import { decodeG711, encodeG711, G711_PAYLOAD_TYPE, type G711Law } from './g711.ts';
import { MixSource, type MixSourceCounters } from './g711-mix-source.ts';
import { readRtp, writeRtp } from './rtp-packet.ts';

export interface G711MixOptions {
  /** The law the listener receives. */
  law: G711Law;
  /** Frames buffered per source before it is heard (a few packets). */
  depthFrames: number;
  /** Frames a source may bring nothing before it drops out of the mix. */
  dropAfterFrames: number;
  /** Samples per frame; 160 (20 ms at 8 kHz) unless a test says otherwise. */
  frameSamples?: number;
  /** The stream's SSRC and first sequence number and timestamp (random by default). */
  ssrc?: number;
  firstSequence?: number;
  firstTimestamp?: number;
}

export interface G711MixCounters {
  /** Packets sent. */
  frames: number;
  /** Frames skipped (their time passed while the event loop stalled). */
  skipped: number;
  /** Samples clipped to the 16-bit range. */
  clipped: number;
  /** Packets refused: not RTP, an unknown source, or a payload type not of the source's law. */
  refused: number;
}

const SAMPLE_MAX = 32767;
const SAMPLE_MIN = -32768;

export class G711Mix {
  readonly law: G711Law;
  readonly ssrc: number;
  readonly counters: G711MixCounters = { frames: 0, skipped: 0, clipped: 0, refused: 0 };
  readonly #sources = new Map<string, { law: G711Law; payloadType: number; buffer: MixSource }>();
  readonly #opts: Required<Pick<G711MixOptions, 'depthFrames' | 'dropAfterFrames' | 'frameSamples'>>;
  readonly #sum: Int32Array;
  readonly #samples: Int16Array;
  #sequence: number;
  #timestamp: number;
  /** The next packet starts a talk spurt (RFC 3551 §4.1): the first one, and the first after skipped frames. */
  #marker = true;

  constructor(opts: G711MixOptions) {
    this.law = opts.law;
    this.#opts = { depthFrames: opts.depthFrames, dropAfterFrames: opts.dropAfterFrames, frameSamples: opts.frameSamples ?? 160 };
    this.ssrc = opts.ssrc ?? randomInt(1, 2 ** 32 - 1);
    this.#sequence = opts.firstSequence ?? randomInt(0, 2 ** 16);
    this.#timestamp = opts.firstTimestamp ?? randomInt(0, 2 ** 32 - 1);
    this.#sum = new Int32Array(this.#opts.frameSamples);
    this.#samples = new Int16Array(this.#opts.frameSamples);
  }

  /** Ids of the sources mixed (heard or filling). */
  get sources(): string[] { return [...this.#sources.keys()]; }

  /** A source in `law`, sending with `payloadType` (the RTP the mix is handed carries it). */
  addSource(id: string, law: G711Law, payloadType = G711_PAYLOAD_TYPE[law]): void {
    if (this.#sources.has(id)) return;
    this.#sources.set(id, { law, payloadType, buffer: new MixSource(this.#opts) });
  }

  removeSource(id: string): void { this.#sources.delete(id); }

  /** Whether the source is heard now (its buffer filled, not dropped out for silence). */
  hears(id: string): boolean { return this.#sources.get(id)?.buffer.heard ?? false; }

  sourceCounters(id: string): MixSourceCounters | undefined { return this.#sources.get(id)?.buffer.counters; }

  /** One RTP packet of a source; refused (counted) when it is not RTP in the source's payload type. */
  push(id: string, packet: Uint8Array): void {
    const source = this.#sources.get(id);
    const rtp = readRtp(packet);
    if (!source || !rtp || rtp.payloadType !== source.payloadType) {
      this.counters.refused += 1;
      return;
    }
    source.buffer.push(rtp.ssrc, rtp.timestamp, decodeG711(source.law, rtp.payload));
  }

  /** The next 20 ms of the mix as an RTP packet (silence when nobody is heard). */
  frame(): Buffer {
    const sum = this.#sum;
    sum.fill(0);
    for (const source of this.#sources.values()) source.buffer.addFrameTo(sum);
    const samples = this.#samples;
    for (let i = 0; i < sum.length; i += 1) {
      const s = sum[i]!;
      if (s > SAMPLE_MAX || s < SAMPLE_MIN) this.counters.clipped += 1;
      samples[i] = s > SAMPLE_MAX ? SAMPLE_MAX : s < SAMPLE_MIN ? SAMPLE_MIN : s;
    }
    const packet = writeRtp({
      payloadType: G711_PAYLOAD_TYPE[this.law], marker: this.#marker,
      sequenceNumber: this.#sequence, timestamp: this.#timestamp, ssrc: this.ssrc, payload: encodeG711(this.law, samples),
    });
    this.#sequence = (this.#sequence + 1) & 0xffff;
    this.#timestamp = (this.#timestamp + sum.length) >>> 0;
    this.#marker = false;
    this.counters.frames += 1;
    return packet;
  }

  /**
   * Frames whose time passed unsent (the event loop stalled): the timestamp moves
   * on by their samples, as it follows the sampling clock (RFC 3550 §5.1), so the
   * listener's jitter buffer sees a gap, not network delay. Sequence numbers stay
   * contiguous (nothing was lost) and the next packet carries the marker bit, as
   * after a silence. The sources' buffers skip ahead on their own.
   */
  skip(frames: number): void {
    if (frames <= 0) return;
    this.#timestamp = (this.#timestamp + frames * this.#opts.frameSamples) >>> 0;
    this.#marker = true;
    this.counters.skipped += frames;
  }
}
