// Tells what an uploaded logo is from its first bytes (the name and type the
// browser claims are not trusted): PNG, JPEG and WebP are shown on the kiosk;
// SVG is refused, because it can carry scripts and links.
import { InvalidError } from '../core/index.ts';

export const LOGO_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;
export type LogoType = typeof LOGO_TYPES[number];

const startsWith = (bytes: Uint8Array, magic: readonly number[], at = 0) => magic.every((b, i) => bytes[at + i] === b);
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

/** The image type of `bytes` by their magic number; undefined for anything else. */
export function sniffLogo(bytes: Uint8Array): LogoType | undefined {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'image/webp';
  return undefined;
}

/** Whether the bytes look like SVG (XML text with an <svg element near its start). */
function looksLikeSvg(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 4096)).toString('utf8').replace(/^\uFEFF/, '').trimStart().toLowerCase();
  return head.startsWith('<') && head.includes('<svg');
}

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
