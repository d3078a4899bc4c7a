// The media events, the same for terminals and desks: transports on the call's
// router (through the worker's WebRtcServer), produce, consume, resume, pause —
// each for the asking participant only, on the media its call owns.
import type { MediaEvents } from './contract.ts';
import type { Handlers } from './dispatch.ts';
import type { SignalingContext } from './context.ts';

export function mediaHandlers(ctx: SignalingContext, me: string): Handlers<typeof MediaEvents> {
  const media = (callId: string) => ctx.calls.mediaOf(callId, me);
  return {
    'media.capabilities': async ({ callId }) => {
      const m = media(callId);
      return { rtpCapabilities: m.rtpCapabilities, producers: m.producersFor(me).map(({ producerId, kind }) => ({ producerId, kind })) };
    },
    'media.transport': async ({ callId }) => ({ transport: await media(callId).createWebRtcTransport(me) }),
    'media.connect': async ({ callId, transportId, dtlsParameters }) => { await media(callId).connectWebRtc(me, transportId, dtlsParameters); },
    'media.produce': async ({ callId, transportId, kind, rtpParameters }) => ({
      producerId: await media(callId).produce(me, transportId, kind, rtpParameters),
    }),
    'media.consume': async ({ callId, transportId, producerId, rtpCapabilities }) => ({
      consumer: await media(callId).consume(me, transportId, producerId, rtpCapabilities),
    }),
    'media.resume': async ({ callId, consumerId }) => { await media(callId).resume(me, consumerId); },
    'media.pause': async ({ callId, producerId, paused }) => { await media(callId).pauseProducer(me, producerId, paused); },
  };
}
