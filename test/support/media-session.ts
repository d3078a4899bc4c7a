// Node side of the media smoke test: answers the page's signalling requests
// with a real mediasoup router and WebRtcServer-backed transports.
import type { types as ms } from 'mediasoup';

export const MEDIA_CODECS: ms.RouterRtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000 },
];

export class MediaSession {
  readonly transports = new Map<string, ms.WebRtcTransport>();
  readonly producers = new Map<string, ms.Producer>();
  readonly consumers = new Map<string, ms.Consumer>();
  readonly #router: ms.Router;
  readonly #server: ms.WebRtcServer;
  readonly #protocol: 'udp' | 'tcp';

  constructor(router: ms.Router, server: ms.WebRtcServer, protocol: 'udp' | 'tcp') {
    this.#router = router;
    this.#server = server;
    this.#protocol = protocol;
  }

  async handle(method: string, data: any): Promise<unknown> {
    switch (method) {
      case 'rtpCapabilities':
        return this.#router.rtpCapabilities;
      case 'createTransport': {
        const t = await this.#router.createWebRtcTransport({
          webRtcServer: this.#server, enableUdp: this.#protocol === 'udp', enableTcp: this.#protocol === 'tcp',
        });
        this.transports.set(t.id, t);
        return { id: t.id, iceParameters: t.iceParameters, iceCandidates: t.iceCandidates, dtlsParameters: t.dtlsParameters };
      }
      case 'connect':
        await this.transports.get(data.transportId)!.connect({ dtlsParameters: data.dtlsParameters });
        return null;
      case 'produce': {
        const p = await this.transports.get(data.transportId)!.produce({ kind: data.kind, rtpParameters: data.rtpParameters });
        this.producers.set(p.id, p);
        return { id: p.id };
      }
      case 'consume': {
        const c = await this.transports.get(data.transportId)!.consume({
          producerId: data.producerId, rtpCapabilities: data.rtpCapabilities, paused: true,
        });
        this.consumers.set(c.id, c);
        return { id: c.id, producerId: c.producerId, kind: c.kind, rtpParameters: c.rtpParameters };
      }
      case 'resume':
        await this.consumers.get(data.consumerId)!.resume();
        return null;
      default:
        throw new Error(`unknown method ${method}`);
    }
  }
}
