// The SFU side of the calls component's MediaPort: a router per call on the
// least-loaded worker, with that worker's WebRtcServer, and the G.711 mixes'
// limits every call of the process shares (rtc.mix).
import type { MediaPort } from '../calls/index.ts';
import type { WorkerPool } from './worker-pool.ts';
import { SfuCallMedia } from './call-media.ts';
import { ROUTER_CODECS } from './router-codecs.ts';
import { defaultMixOptions, type MixOptions } from './mix-budget.ts';

export class SfuMediaPort implements MediaPort {
  readonly #pool: WorkerPool;
  readonly #mix: MixOptions;

  constructor(pool: WorkerPool, mix: MixOptions = defaultMixOptions()) {
    this.#pool = pool;
    this.#mix = mix;
  }

  /** Mixes running (reserved) in the calls this port opened. */
  get mixesInUse(): number { return this.#mix.budget.used; }

  async open(callId: string): Promise<SfuCallMedia> {
    const { router, webRtcServer } = await this.#pool.createRouter({ mediaCodecs: ROUTER_CODECS, appData: { callId } });
    return new SfuCallMedia(callId, router, webRtcServer, this.#mix);
  }
}
