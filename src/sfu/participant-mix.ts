// The G.711 mix of one telephone participant, inside the call's router: a
// DirectTransport whose consumers hand every other participant's G.711 audio to
// Node, the mixer (src/media G711Mix) and a DirectTransport producer that sends
// the mix, which the telephone consumes on its plain transport like any
// producer. A pacer sends one 20 ms packet per frame due by the monotonic clock
// (a late timer catches up, a stall of the event loop skips ahead: the stream's
// timestamp moves on by the frames skipped, src/media FramePacer). The call
// media (call-media.ts) owns it; closing it closes its transport, with its
// consumers and producer.
import { performance } from 'node:perf_hooks';
import type { types as ms } from 'mediasoup';
import { FramePacer, G711Mix, G711_PAYLOAD_TYPE, lawOf, type G711Law } from '../media/index.ts';
import type { MediaAppData } from './participant-media.ts';

/** How a mix buffers its sources (rtc.mix.*). */
export interface MixSettings {
  /** Packets (20 ms) buffered per source before it is heard (rtc.mix.buffer_packets). */
  depthFrames: number;
  /** 20 ms frames without a packet after which a source drops out until it sends again (rtc.mix.source_timeout_ms / 20). */
  dropAfterFrames: number;
}

const FRAME_MS = 20;
/** Frames a late timer sends at once; further behind (an event-loop stall) the pacer skips ahead. */
const MAX_CATCH_UP = 5;

/** The monotonic time source of a mix's pacer (ms); tests hand in a manual one. */
export type MixTime = () => number;

export class ParticipantMix {
  readonly #transport: ms.DirectTransport;
  readonly #producer: ms.Producer;
  readonly #mix: G711Mix;
  readonly #sources = new Map<string, ms.Consumer>();
  readonly #onSourceClosed: (producerId: string) => void;
  readonly #timer: NodeJS.Timeout;
  readonly #pacer: FramePacer;
  #closed = false;

  private constructor(transport: ms.DirectTransport, producer: ms.Producer, mix: G711Mix, onSourceClosed: (producerId: string) => void, now: MixTime) {
    this.#transport = transport;
    this.#producer = producer;
    this.#mix = mix;
    this.#onSourceClosed = onSourceClosed;
    this.#pacer = new FramePacer(now, FRAME_MS, MAX_CATCH_UP);
    this.#timer = setInterval(() => this.#pace(), FRAME_MS / 2);
    transport.observer.once('close', () => this.close());
  }

  /** Opens the mix a participant receiving `law` hears; `onSourceClosed` when a source's producer closes. */
  static async open(
    router: ms.Router, law: G711Law, settings: MixSettings, appData: MediaAppData, onSourceClosed: (producerId: string) => void, now: MixTime = () => performance.now(),
  ): Promise<ParticipantMix> {
    const transport = await router.createDirectTransport({ appData });
    try {
      const mix = new G711Mix({ law, depthFrames: settings.depthFrames, dropAfterFrames: settings.dropAfterFrames });
      const producer = await transport.produce({
        kind: 'audio', appData,
        rtpParameters: { codecs: [{ mimeType: `audio/${law}`, payloadType: G711_PAYLOAD_TYPE[law], clockRate: 8000 }], encodings: [{ ssrc: mix.ssrc }] },
      });
      return new ParticipantMix(transport, producer, mix, onSourceClosed, now);
    } catch (error) {
      transport.close();
      throw error;
    }
  }

  get closed(): boolean { return this.#closed; }
  /** The producer the telephone consumes. */
  get producerId(): string { return this.#producer.id; }
  /** Producers mixed now. */
  get sources(): string[] { return [...this.#sources.keys()]; }
  get counters(): G711Mix['counters'] { return this.#mix.counters; }
  /** Whether the mix hears the producer now (its buffer filled, not dropped out). */
  hears(producerId: string): boolean { return this.#mix.hears(producerId); }

  /** Mixes a producer's G.711 audio from now on (once per producer). */
  async addSource(producer: ms.Producer, rtpCapabilities: ms.RtpCapabilities): Promise<void> {
    if (this.#closed || this.#sources.has(producer.id)) return;
    const codec = producer.rtpParameters.codecs[0];
    const law = lawOf(codec?.mimeType ?? '');
    if (!law) throw new Error(`a mix takes G.711 only, not ${codec?.mimeType}`);
    const consumer = await this.#transport.consume({ producerId: producer.id, rtpCapabilities, appData: this.#producer.appData });
    if (this.#closed) return;
    this.#sources.set(producer.id, consumer);
    this.#mix.addSource(producer.id, law, consumer.rtpParameters.codecs[0]!.payloadType);
    consumer.on('rtp', (packet) => this.#mix.push(producer.id, packet));
    consumer.observer.once('close', () => {
      this.#sources.delete(producer.id);
      this.#mix.removeSource(producer.id);
      if (!this.#closed) this.#onSourceClosed(producer.id);
    });
  }

  /** Sends the frames due since the last tick; frames whose time passed in a stall move the timestamp on. */
  #pace(): void {
    if (this.#closed) return;
    const { skip, send } = this.#pacer.due();
    this.#mix.skip(skip);
    for (let i = 0; i < send; i += 1) this.#producer.send(this.#mix.frame());
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#transport.close();
  }
}
