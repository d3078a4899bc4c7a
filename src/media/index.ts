// Audio processing in Node for what mediasoup does not do: the G.711 mix a
// telephone hears in a call of more than two (decode, sum, encode).
export { G711_PAYLOAD_TYPE, decodeG711, encodeG711, lawOf, type G711Law } from './g711.ts';
export { G711Mix, type G711MixOptions, type G711MixCounters } from './g711-mix.ts';
export type { MixSourceCounters } from './g711-mix-source.ts';
export { FramePacer, type PacedFrames } from './frame-pacer.ts';
export { readRtp, writeRtp, type RtpPacket } from './rtp-packet.ts';
export { toneEnergy } from './tone-energy.ts';
