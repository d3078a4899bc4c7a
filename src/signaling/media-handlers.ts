// The media events, the same for terminals and desks: transports on the call's
// router (through the worker's WebRtcServer), produce, consume, resume, pause —
// each for the asking participant (or a desk the call rings, which prepares its
// media: see src/calls/ringing-media.ts) only, on the media its call owns.
import type { MediaEvents } from './contract.ts';
import type { Handlers } from './dispatch.ts';
import type { SignalingContext } from './context.ts';

export function mediaHandlers(ctx: SignalingContext, me: string): Handlers<typeof MediaEvents> {
  const media = (callId: string) => ctx.calls.mediaOf(callId, me);
  return {
    'media.capabilities': async ({ callId }) => {
      const m = media(callId);
      const call = ctx.calls.get(callId);
      const producers = ctx.calls.producersFor(callId, me).map(({ producerId, kind, participantId }) => ({ producerId, kind, ...(call.isEarlyMedia(participantId) ? { early: true as const } : {}) }));
      return { rtpCapabilities: m.rtpCapabilities, producers };
    },
    'media.transport': async ({ callId }) => ({ transport: await media(callId).createWebRtcTransport(me) }),
    'media.connect': async ({ callId, transportId, dtlsParameters }) => { await media(callId).connectWebRtc(me, transportId, dtlsParameters); },
    'media.produce': async ({ callId, transportId, kind, rtpParameters }) => ({
      producerId: await ctx.calls.produce(callId, me, transportId, kind, rtpParameters),
    }),
    'media.consume': async ({ callId, transportId, producerId, rtpCapabilities }) => ({
      consumer: await ctx.calls.consume(callId, me, transportId, producerId, rtpCapabilities),
    }),
    'media.resume': async ({ callId, consumerId }) => { await ctx.calls.resume(callId, me, consumerId); },
    'media.pause': async ({ callId, producerId, paused }) => { await media(callId).pauseProducer(me, producerId, paused); },
  };
}
