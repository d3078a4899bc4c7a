// Tells what an uploaded logo is from its first bytes (the name and type the
// browser claims are not trusted): PNG, JPEG and WebP are shown on the kiosk;
// SVG is refused, because it can carry scripts and links.
import { InvalidError, IMAGE_TYPES, looksLikeSvg, sniffImage, type ImageType } from '../core/index.ts';

export const LOGO_TYPES = IMAGE_TYPES;
export type LogoType = ImageType;

/** The image type of `bytes` by their magic number; undefined for anything else. */
export const sniffLogo = sniffImage;

/**
 * The checked type of a logo no larger than `maxBytes`; a named refusal otherwise
 * (logo.empty, logo.too-large with the limit in KiB, logo.svg, logo.type).
 */
export function checkLogo(bytes: Uint8Array, maxBytes: number): LogoType {
  if (bytes.length === 0) throw new InvalidError('the logo is empty', { reason: 'logo.empty' });
  if (bytes.length > maxBytes) throw logoTooLarge(maxBytes);
  const type = sniffLogo(bytes);
  if (type) return type;
  if (looksLikeSvg(bytes)) throw new InvalidError('SVG logos are refused (they can carry scripts); upload PNG, JPEG or WebP', { reason: 'logo.svg' });
  throw new InvalidError('the logo must be a PNG, JPEG or WebP image (checked by its content)', { reason: 'logo.type' });
}

/** The refusal of a logo over the limit (also thrown while the upload still streams in). */
export function logoTooLarge(maxBytes: number): InvalidError {
  const kib = Math.floor(maxBytes / 1024);
  return new InvalidError(`the logo is larger than ${kib} KiB (web.logo_max_kib)`, { reason: 'logo.too-large', params: { kib } });
}
