// Call quality and service-level monitoring: the E-model, the per-call quality
// monitor and the contract's monthly availability.
export {
  G711_PLC, JITTER_BUFFER_FACTOR, R_UNIMPAIRED, delayImpairment, delayImpairmentParts, effectiveIe, mos, mosFromR, mouthToEarMs, rFactor,
  type CodecImpairment, type Impairment,
} from './e-model.ts';
export { codecTable, type CodecTable, type OpusValues } from './codecs.ts';
