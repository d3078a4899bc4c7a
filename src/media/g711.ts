// G.711 μ-law (PCMU) and A-law (PCMA) as table lookups: one decode table of
// 256 samples and one encode table indexed by the 16-bit sample per law, built
// once from the ITU-T G.711 segment rules (the reference code's formulas).
// The mixer decodes, sums and encodes 8000 samples per second per stream.

/** The two G.711 laws, as the RTP payload formats name them. */
export type G711Law = 'PCMU' | 'PCMA';

/** RFC 3551 static payload types. */
export const G711_PAYLOAD_TYPE: Readonly<Record<G711Law, number>> = { PCMU: 0, PCMA: 8 };

const MULAW_BIAS = 0x84;
const MULAW_CLIP = 32635;

function mulawOf(sample: number): number {
  let s = sample;
  const sign = s < 0 ? 0x80 : 0;
  if (sign) s = -s;
  if (s > MULAW_CLIP) s = MULAW_CLIP;
  s += MULAW_BIAS;
  const top = (s >> 7) & 0xff;
  const exponent = top === 0 ? 0 : 31 - Math.clz32(top);
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

function linearOfMulaw(code: number): number {
  const u = ~code & 0xff;
  const exponent = (u >> 4) & 0x07;
  const magnitude = ((((u & 0x0f) << 3) + MULAW_BIAS) << exponent) - MULAW_BIAS;
  return u & 0x80 ? -magnitude : magnitude;
}

const ALAW_SEGMENT_ENDS = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];

function alawOf(sample: number): number {
  let pcm = sample >> 3;
  let mask = 0xd5;
  if (pcm < 0) {
    mask = 0x55;
    pcm = -pcm - 1;
  }
  const segment = ALAW_SEGMENT_ENDS.findIndex((end) => pcm <= end);
  if (segment < 0) return 0x7f ^ mask;
  const step = segment < 2 ? (pcm >> 1) & 0x0f : (pcm >> segment) & 0x0f;
  return ((segment << 4) | step) ^ mask;
}

function linearOfAlaw(code: number): number {
  const a = code ^ 0x55;
  const segment = (a & 0x70) >> 4;
  let t = (a & 0x0f) << 4;
  if (segment === 0) t += 8;
  else t = (t + 0x108) << (segment - 1);
  return a & 0x80 ? t : -t;
}

function decodeTable(of: (code: number) => number): Int16Array {
  return Int16Array.from({ length: 256 }, (_, code) => of(code));
}

/** Indexed by the sample's 16 bits as unsigned (sample & 0xffff). */
function encodeTable(of: (sample: number) => number): Uint8Array {
  const table = new Uint8Array(65536);
  for (let i = 0; i < 65536; i += 1) table[i] = of(i >= 32768 ? i - 65536 : i);
  return table;
}

const DECODE: Readonly<Record<G711Law, Int16Array>> = { PCMU: decodeTable(linearOfMulaw), PCMA: decodeTable(linearOfAlaw) };
const ENCODE: Readonly<Record<G711Law, Uint8Array>> = { PCMU: encodeTable(mulawOf), PCMA: encodeTable(alawOf) };

/** Decodes G.711 bytes into 16-bit linear samples (one sample per byte). */
export function decodeG711(law: G711Law, payload: Uint8Array, into = new Int16Array(payload.length)): Int16Array {
  const table = DECODE[law];
  for (let i = 0; i < payload.length; i += 1) into[i] = table[payload[i]!]!;
  return into;
}

/** Encodes 16-bit linear samples (already clipped to the 16-bit range) as G.711 bytes. */
export function encodeG711(law: G711Law, samples: ArrayLike<number>, into = new Uint8Array(samples.length)): Uint8Array {
  const table = ENCODE[law];
  for (let i = 0; i < samples.length; i += 1) into[i] = table[samples[i]! & 0xffff]!;
  return into;
}

/** The law of a codec's MIME type (`audio/PCMU`, `PCMA` …); undefined for anything else. */
export function lawOf(mimeType: string): G711Law | undefined {
  const name = mimeType.replace(/^audio\//i, '').toUpperCase();
  return name === 'PCMU' || name === 'PCMA' ? name : undefined;
}
