// The codec table of the E-model: which impairment values apply to the audio codec a
// participant receives. G.711 values are ITU-T's; opus values are configuration
// (ITU-T publishes none; docs/quality.md names the source of the defaults).
import type { AudioCodec } from '../calls/index.ts';
import { G711_PLC, type CodecImpairment } from './e-model.ts';

export interface OpusValues { ie: number; bpl: number }

/** opus at 20 ms frames adds 20 ms packetisation and 6.5 ms look-ahead (RFC 6716 §2). */
const OPUS_DELAY_MS = 26.5;

export type CodecTable = Readonly<Record<AudioCodec, CodecImpairment>>;

export function codecTable(opus: OpusValues): CodecTable {
  return {
    'audio/PCMU': G711_PLC,
    'audio/PCMA': G711_PLC,
    'audio/opus': { ie: opus.ie, bpl: opus.bpl, codecDelayMs: OPUS_DELAY_MS },
  };
}
