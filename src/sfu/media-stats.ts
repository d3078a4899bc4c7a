// Reads a call's media counters from mediasoup (the CallMedia port's stats()):
// per participant, getStats() of its producers (what it sends, as the SFU
// receives it) and of its consumers (what it receives, as the SFU sends it).
import type { types as ms } from 'mediasoup';
import type { ParticipantStats, StreamStats } from '../calls/index.ts';

/** What one participant holds open on the router. */
export interface ParticipantStreams { participantId: string; producers: ms.Producer[]; consumers: ms.Consumer[] }

/** RTP timestamp units → ms, with the stream's clock rate. */
const toMs = (jitter: number, clockRate: number | undefined): number => (clockRate ? (jitter / clockRate) * 1000 : 0);

function stream(id: string, s: ms.RtpStreamRecvStats | ms.RtpStreamSendStats, clockRate: number | undefined): StreamStats {
  return {
    id, packets: s.packetCount, lost: Math.max(0, s.packetsLost), jitterMs: toMs(s.jitter, clockRate),
    rttMs: s.roundTripTime && s.roundTripTime > 0 ? s.roundTripTime : null,
  };
}

function add(c: ParticipantStats, s: ms.RtpStreamRecvStats | ms.RtpStreamSendStats): void {
  c.bitrateBps += s.bitrate;
  c.nack += s.nackCount;
  c.pli += s.pliCount;
  c.fir += s.firCount;
  c.score = Math.min(c.score ?? s.score, s.score);
}

/** The counters of every participant with an open producer or consumer (a stream that fails to answer counts nothing). */
export async function readStats(participants: ParticipantStreams[]): Promise<ParticipantStats[]> {
  const read = await Promise.all(participants.map(async (p) => {
    const producers = p.producers.filter((x) => !x.closed);
    const consumers = p.consumers.filter((x) => !x.closed);
    if (producers.length === 0 && consumers.length === 0) return null;
    const [pStats, cStats] = await Promise.all([
      Promise.all(producers.map((x) => x.getStats().catch(() => []))),
      Promise.all(consumers.map((x) => x.getStats().catch(() => []))),
    ]);
    const c: ParticipantStats = { participantId: p.participantId, audioUp: [], audioDown: [], bitrateBps: 0, nack: 0, pli: 0, fir: 0, score: null };
    producers.forEach((producer, i) => {
      const clockRate = producer.rtpParameters.codecs[0]?.clockRate;
      for (const s of pStats[i]!) {
        if (s.type !== 'inbound-rtp') continue;
        add(c, s);
        if (producer.kind === 'audio') c.audioUp.push(stream(`${producer.id}:${s.ssrc}`, s, clockRate));
      }
    });
    consumers.forEach((consumer, i) => {
      const clockRate = consumer.rtpParameters.codecs[0]?.clockRate;
      for (const s of cStats[i]!) {
        if (s.type !== 'outbound-rtp') continue;
        add(c, s);
        if (consumer.kind === 'audio') c.audioDown.push(stream(`${consumer.id}:${s.ssrc}`, s, clockRate));
      }
    });
    return c;
  }));
  return read.filter((c): c is ParticipantStats => c !== null);
}
