// The SFU side of the calls component's MediaPort: a router per call on the
// least-loaded worker, with that worker's WebRtcServer.
import type { MediaPort } from '../calls/index.ts';
import type { WorkerPool } from './worker-pool.ts';
import { SfuCallMedia, ROUTER_CODECS } from './call-media.ts';

export class SfuMediaPort implements MediaPort {
  readonly #pool: WorkerPool;

  constructor(pool: WorkerPool) {
    this.#pool = pool;
  }

  async open(callId: string): Promise<SfuCallMedia> {
    const { router, webRtcServer } = await this.#pool.createRouter({ mediaCodecs: ROUTER_CODECS, appData: { callId } });
    return new SfuCallMedia(callId, router, webRtcServer);
  }
}
