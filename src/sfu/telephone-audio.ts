// The audio a telephone (a participant that is not a browser) hears: mediasoup
// forwards streams but does not mix them, and a telephone plays one. Its first
// audio producer is consumed directly; with the second a G.711 mix of the others
// (participant-mix.ts) opens and takes the first in. Owned by the call's media
// (call-media.ts), which hands in what it needs as a TelephoneAudioCall.
import type { types as ms } from 'mediasoup';
import { UnavailableError } from '../core/index.ts';
import type { ConsumerInfo, MediaParticipant } from '../calls/index.ts';
import { lawOf } from '../media/index.ts';
import { ParticipantMix, type MixSettings } from './participant-mix.ts';
import { consumerInfo, type MediaAppData, type MixedAudio, type ParticipantMedia } from './participant-media.ts';

type MediaTransport = ms.WebRtcTransport | ms.PlainTransport;

/** What a telephone's audio needs of its call's media. */
export interface TelephoneAudioCall {
  readonly callId: string;
  readonly router: ms.Router;
  readonly mixSettings: MixSettings;
  /** The router's capabilities narrowed to the participant's audio codec. */
  capabilitiesOf(info: MediaParticipant): ms.RtpCapabilities;
  /** A producer of the call, whoever's. */
  producerOf(producerId: string): ms.Producer | undefined;
  /** One consumer of the producer on the participant's transport (reserved in `consuming` by the caller). */
  consumeDirect(p: ParticipantMedia, transport: MediaTransport, producerId: string, caps: ms.RtpCapabilities): Promise<ConsumerInfo>;
}

/**
 * A telephone hears one stream: its first audio producer directly, the second
 * and every later one in its mix (which takes the first in). Which of the two
 * depends on the consumers before it, so a telephone's audio consumes run one
 * at a time: two at once would otherwise both see no consumer yet, and the first
 * would stay a direct stream beside the mix (review s23 #7).
 */
export function consumeTelephoneAudio(call: TelephoneAudioCall, p: ParticipantMedia, transport: MediaTransport, producer: ms.Producer, caps: ms.RtpCapabilities): Promise<ConsumerInfo> {
  const turn = p.audioTurn.then(() => {
    if (p.mixed || p.audioFrom.size > 0) return consumeMixed(call, p, transport, producer);
    p.audioFrom.add(producer.id);
    return call.consumeDirect(p, transport, producer.id, caps);
  });
  p.audioTurn = turn.catch(() => undefined);
  return turn;
}

/**
 * A telephone's audio producer beyond its first: mixed into the one stream it
 * hears (opened with the second, which also moves the first one in: its own
 * consumer closes, the mix's keeps its paused state). Every such call returns
 * the consumer of the mix: resuming or pausing it is the telephone's hold.
 */
async function consumeMixed(call: TelephoneAudioCall, p: ParticipantMedia, transport: MediaTransport, producer: ms.Producer): Promise<ConsumerInfo> {
  p.consuming.add(producer.id);
  p.audioFrom.add(producer.id);
  const mixed = p.mixed ?? openMix(call, p, transport);
  mixed.sources.add(producer.id);
  try {
    const { mix, consumer } = await mixed.ready;
    await mix.addSource(producer, call.capabilitiesOf(p.info));
    return consumerInfo(consumer, producer.id);
  } catch (error) {
    mixed.sources.delete(producer.id);
    p.consuming.delete(producer.id);
    p.audioFrom.delete(producer.id);
    throw error;
  }
}

function openMix(call: TelephoneAudioCall, p: ParticipantMedia, transport: MediaTransport): MixedAudio {
  const participantId = p.info.id;
  const appData: MediaAppData = { callId: call.callId, participantId };
  const caps = call.capabilitiesOf(p.info);
  const direct = [...p.consumers.values()].find((c) => c.kind === 'audio');
  const sources = new Set<string>(direct ? [direct.producerId] : []);
  const released = (producerId: string) => { sources.delete(producerId); p.consuming.delete(producerId); p.audioFrom.delete(producerId); };
  const law = lawOf(p.info.audioCodec);
  const open = async () => {
    if (!law) throw new UnavailableError(`a telephone in a call of more than two hears a G.711 mix, not ${p.info.audioCodec}`);
    const mix = await ParticipantMix.open(call.router, law, call.mixSettings, appData, released);
    try {
      const first = direct && call.producerOf(direct.producerId);
      if (first) await mix.addSource(first, caps);
      const consumer = await transport.consume({ producerId: mix.producerId, rtpCapabilities: caps, paused: direct?.paused ?? true, appData });
      direct?.close();
      p.consumers.set(consumer.id, consumer);
      consumer.observer.once('close', () => {
        p.consumers.delete(consumer.id);
        mix.close();
        for (const producerId of [...sources]) released(producerId);
        if (p.mixed === mixed) p.mixed = undefined;
      });
      return { mix, consumer };
    } catch (error) {
      mix.close();
      throw error;
    }
  };
  const mixed: MixedAudio = { sources, ready: open() };
  p.mixed = mixed;
  // A mix that could not open is tried afresh with the next producer.
  mixed.ready.catch(() => { if (p.mixed === mixed) p.mixed = undefined; });
  return mixed;
}
