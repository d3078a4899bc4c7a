// Shared building blocks: named errors, typed events, the clock.
export * from './errors.ts';
export { ajvReason, typeboxReason, SCHEMA_KEYWORDS, type AjvError } from './schema-reasons.ts';
export { TypedEmitter, type EventMap } from './typed-emitter.ts';
export { systemClock, type Clock } from './clock.ts';
export { promLabel, promHeader } from './prometheus.ts';
export { SESSION_COOKIE, TERMINAL_COOKIE } from './cookies.ts';
export { privateDir, privateDatabase } from './private-files.ts';
export { IMAGE_TYPES, sniffImage, looksLikeSvg, readImage, withoutMetadata, type ImageType, type ImageReading } from './images.ts';
