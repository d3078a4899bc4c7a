// Reads a call's media counters from mediasoup: it watches the router of an SFU
// call media from the moment it opens (transports, producers and consumers are
// tagged with their participant in appData) and asks each for getStats(). It
// owns nothing: mediasoup objects it follows leave its maps when they close.
import type { types as ms } from 'mediasoup';
import type { CallMedia } from '../calls/index.ts';
import { SfuCallMedia } from '../sfu/index.ts';
import type { ParticipantCounters, StreamCounters } from './leg-sample.ts';

/** Reads one call's counters per participant. */
export interface StatsReader {
  read(): Promise<ParticipantCounters[]>;
}

/** Where the monitor gets counters for a call's media; null when it cannot read that media. */
export interface MediaStatsSource {
  track(media: CallMedia): StatsReader | null;
}

type Tagged = { participantId?: unknown };
const participantOf = (o: { appData: unknown }): string | null => {
  const id = (o.appData as Tagged).participantId;
  return typeof id === 'string' ? id : null;
};

/** RTP timestamp units → ms, with the stream's clock rate. */
const toMs = (jitter: number, clockRate: number | undefined): number => (clockRate ? (jitter / clockRate) * 1000 : 0);

function emptyCounters(participantId: string): ParticipantCounters {
  return { participantId, audioUp: [], audioDown: [], bitrateBps: 0, nack: 0, pli: 0, fir: 0, score: null };
}

function add(c: ParticipantCounters, s: ms.RtpStreamRecvStats | ms.RtpStreamSendStats): void {
  c.bitrateBps += s.bitrate;
  c.nack += s.nackCount;
  c.pli += s.pliCount;
  c.fir += s.firCount;
  c.score = Math.min(c.score ?? s.score, s.score);
}

class SfuStatsReader implements StatsReader {
  readonly #producers = new Map<string, ms.Producer>();
  readonly #consumers = new Map<string, ms.Consumer>();

  constructor(router: ms.Router) {
    router.observer.on('newtransport', (transport) => {
      transport.observer.on('newproducer', (p) => {
        this.#producers.set(p.id, p);
        p.observer.once('close', () => this.#producers.delete(p.id));
      });
      transport.observer.on('newconsumer', (c) => {
        this.#consumers.set(c.id, c);
        c.observer.once('close', () => this.#consumers.delete(c.id));
      });
    });
  }

  async read(): Promise<ParticipantCounters[]> {
    const byParticipant = new Map<string, ParticipantCounters>();
    const of = (id: string) => byParticipant.get(id) ?? byParticipant.set(id, emptyCounters(id)).get(id)!;
    const producers = [...this.#producers.values()].filter((p) => !p.closed);
    const consumers = [...this.#consumers.values()].filter((c) => !c.closed);
    const [pStats, cStats] = await Promise.all([
      Promise.all(producers.map((p) => p.getStats().catch(() => []))),
      Promise.all(consumers.map((c) => c.getStats().catch(() => []))),
    ]);
    producers.forEach((p, i) => {
      const id = participantOf(p);
      if (!id) return;
      const c = of(id);
      const clockRate = p.rtpParameters.codecs[0]?.clockRate;
      for (const s of pStats[i]!) {
        if (s.type !== 'inbound-rtp') continue;
        add(c, s);
        if (p.kind === 'audio') c.audioUp.push(stream(`${p.id}:${s.ssrc}`, s, clockRate));
      }
    });
    consumers.forEach((consumer, i) => {
      const id = participantOf(consumer);
      if (!id) return;
      const c = of(id);
      const clockRate = consumer.rtpParameters.codecs[0]?.clockRate;
      for (const s of cStats[i]!) {
        if (s.type !== 'outbound-rtp') continue;
        add(c, s);
        if (consumer.kind === 'audio') c.audioDown.push(stream(`${consumer.id}:${s.ssrc}`, s, clockRate));
      }
    });
    return [...byParticipant.values()];
  }
}

function stream(id: string, s: ms.RtpStreamRecvStats | ms.RtpStreamSendStats, clockRate: number | undefined): StreamCounters {
  return {
    id, packets: s.packetCount, lost: Math.max(0, s.packetsLost), jitterMs: toMs(s.jitter, clockRate),
    rttMs: s.roundTripTime && s.roundTripTime > 0 ? s.roundTripTime : null,
  };
}

/** Counters of the SFU's call media (src/sfu); other media (none yet) are not read. */
export class SfuStatsSource implements MediaStatsSource {
  track(media: CallMedia): StatsReader | null {
    return media instanceof SfuCallMedia ? new SfuStatsReader(media.router) : null;
  }
}
