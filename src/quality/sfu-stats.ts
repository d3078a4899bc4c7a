// Where the quality monitor reads a call's media counters: the CallMedia port's
// stats() (the SFU's counters per participant, from mediasoup's getStats()). It
// owns nothing and knows no SFU class: any CallMedia can be measured.
import type { CallMedia } from '../calls/index.ts';
import type { ParticipantCounters } from './leg-sample.ts';

/** Reads one call's counters per participant. */
export interface StatsReader {
  read(): Promise<ParticipantCounters[]>;
}

/** Where the monitor gets counters for a call's media; null when it cannot read that media. */
export interface MediaStatsSource {
  track(media: CallMedia): StatsReader | null;
}

/** Counters of a call's media through its port (the SFU's, in src/sfu). */
export class SfuStatsSource implements MediaStatsSource {
  track(media: CallMedia): StatsReader {
    return { read: () => media.stats() };
  }
}
