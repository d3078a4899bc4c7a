// The ITU-T G.107 E-model (narrowband), reduced to what a gateway measures:
// one-way delay (network + jitter buffer + codec), packet loss (including packets
// the jitter buffer discarded) and the codec. Every other parameter keeps its
// G.107 default value. See docs/quality.md for the sources of the codec values.

/** The equipment impairment of a codec: Ie without loss, Bpl its robustness against loss (G.107 §7.5). */
export interface CodecImpairment {
  ie: number;
  bpl: number;
  /** Packetisation and look-ahead delay the codec adds to the mouth-to-ear delay (ms). */
  codecDelayMs: number;
}

/** G.711 with packet-loss concealment, 20 ms packets: Ie 0, Bpl 25.1 (ITU-T G.113 Appendix I). */
export const G711_PLC: CodecImpairment = { ie: 0, bpl: 25.1, codecDelayMs: 20 };

/** Ro − Is with every G.107 default (Ro = 94.77, Is = 1.41). */
const RO = 94.7688;
const IS = 1.4136;
/** G.107 defaults used by the delay impairment: TELR 65 dB, WEPL 110 dB, mT 100 ms. */
const TELR = 65;
const WEPL = 110;
const MT = 100;
/** Roe = −1.5(No − RLR) with the default noise floor No = −61.18 dBm0p and RLR = 2 dB. */
const ROE = -1.5 * (-61.18 - 2);
/** A jitter buffer holds about twice the measured interarrival jitter (see docs/quality.md). */
export const JITTER_BUFFER_FACTOR = 2;

export interface Impairment {
  /** Share of packets lost in the network, in percent (0–100). */
  lossPercent: number;
  /** Share of packets that arrived but the jitter buffer discarded (too late), in percent. */
  discardPercent?: number;
  /** Burst ratio (1 for random loss, above 1 for bursty loss). */
  burstR?: number;
  /** Network one-way delay in ms (half the round-trip time when only RTT is known). */
  oneWayDelayMs: number;
  /** Interarrival jitter in ms (RFC 3550). */
  jitterMs: number;
}

/** Mouth-to-ear delay: network one-way delay plus the jitter buffer plus the codec. */
export function mouthToEarMs(i: Pick<Impairment, 'oneWayDelayMs' | 'jitterMs'>, codec: CodecImpairment): number {
  return Math.max(0, i.oneWayDelayMs) + JITTER_BUFFER_FACTOR * Math.max(0, i.jitterMs) + codec.codecDelayMs;
}

/** Id = Idte + Idle + Idd (G.107 §7.4) with T = Ta and Tr = 2·T, echo parameters at their defaults. */
export function delayImpairment(taMs: number): number {
  const { idte, idle, idd } = delayImpairmentParts(taMs);
  return idte + idle + idd;
}

/** The three parts of Id: talker echo, listener echo, pure delay. */
export function delayImpairmentParts(taMs: number): { idte: number; idle: number; idd: number } {
  const t = Math.max(0, taMs);
  const tr = 2 * t;
  const terv = TELR - 40 * Math.log10((1 + t / 10) / (1 + t / 150)) + 6 * Math.exp(-0.3 * t * t);
  const re = 80 + 2.5 * (terv - 14);
  // The bracket dips to −0.24 below T ≈ 5 ms (an artefact that would let R rise with
  // delay); floored at 0. Every real leg has at least 20 ms codec delay, where it is positive.
  const idte = Math.max(0, (ROE - re) / 2 + Math.sqrt(((ROE - re) ** 2) / 4 + 100) - 1) * (1 - Math.exp(-t));
  const rle = 10.5 * (WEPL + 7) * (tr + 1) ** -0.25;
  const idle = (RO - rle) / 2 + Math.sqrt(((RO - rle) ** 2) / 4 + 169);
  let idd = 0;
  if (t > MT) {
    const x = Math.log10(t / MT) / Math.log10(2);
    idd = 25 * ((1 + x ** 6) ** (1 / 6) - 3 * (1 + (x / 3) ** 6) ** (1 / 6) + 2);
  }
  return { idte, idle, idd };
}

/** Ie,eff = Ie + (95 − Ie)·Ppl/(Ppl/BurstR + Bpl) (G.107 §7.5). */
export function effectiveIe(codec: CodecImpairment, pplPercent: number, burstR = 1): number {
  const ppl = Math.min(100, Math.max(0, pplPercent));
  return codec.ie + ((95 - codec.ie) * ppl) / (ppl / Math.max(1, burstR) + codec.bpl);
}

/** The transmission rating R = Ro − Is − Id − Ie,eff + A (A = 0: no advantage assumed). */
export function rFactor(i: Impairment, codec: CodecImpairment): number {
  const ppl = Math.max(0, i.lossPercent) + Math.max(0, i.discardPercent ?? 0);
  return RO - IS - delayImpairment(mouthToEarMs(i, codec)) - effectiveIe(codec, ppl, i.burstR ?? 1);
}

/** R → MOS (G.107 Annex B) with its clamp: 1 below R 6.5, 4.5 above R 100 (the polynomial is not monotonic outside). */
export function mosFromR(r: number): number {
  if (!(r >= 6.5)) return 1;
  if (r > 100) return 4.5;
  // The polynomial is 0.9999 at R 6.5 (its root is at 6.515): never below 1.
  return Math.max(1, 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r));
}

/** The delay impairment at zero delay (Idle of a silent echo path): R without any impairment. */
export const R_UNIMPAIRED = RO - IS - delayImpairment(0);

/** MOS of one leg from what was measured. */
export function mos(i: Impairment, codec: CodecImpairment): number {
  return mosFromR(rFactor(i, codec));
}
