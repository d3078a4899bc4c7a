// The media events, the same for terminals and desks: transports on the call's
// router (through the worker's WebRtcServer), produce, consume, resume, pause.
import type { types as ms } from 'mediasoup';
import type { Call } from '../calls/index.ts';
import type { Party } from '../sfu/index.ts';
import type { MediaEvents } from './contract.ts';
import type { Handlers } from './dispatch.ts';
import type { SignalingContext } from './context.ts';

export function mediaHandlers(ctx: SignalingContext, party: Party, mine: (call: Call) => boolean): Handlers<typeof MediaEvents> {
  const media = (callId: string) => ctx.mediaOf(callId, mine);
  return {
    'media.capabilities': async ({ callId }) => ({ rtpCapabilities: media(callId).rtpCapabilities, producers: media(callId).peerProducers(party) }),
    'media.transport': async ({ callId }) => ({ transport: await media(callId).createTransport(party) }),
    'media.connect': async ({ callId, transportId, dtlsParameters }) => {
      await media(callId).connect(party, transportId, dtlsParameters as unknown as ms.DtlsParameters);
    },
    'media.produce': async ({ callId, transportId, kind, rtpParameters }) => ({
      producerId: await media(callId).produce(party, transportId, kind, rtpParameters as unknown as ms.RtpParameters),
    }),
    'media.consume': async ({ callId, transportId, producerId, rtpCapabilities }) => ({
      consumer: await media(callId).consume(party, transportId, producerId, rtpCapabilities as unknown as ms.RtpCapabilities),
    }),
    'media.resume': async ({ callId, consumerId }) => { await media(callId).resume(party, consumerId); },
    'media.pause': async ({ callId, producerId, paused }) => { await media(callId).pauseProducer(party, producerId, paused); },
  };
}
