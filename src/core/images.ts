// What an uploaded image is, read from its own bytes (the name and the type a
// browser claims are not trusted): PNG, JPEG or WebP by magic number, its size in
// pixels from its headers, whether it is whole (every chunk or segment inside the
// file, through its end marker) — and a copy without metadata (EXIF with GPS and
// camera serials, XMP, IPTC, comments, text chunks, embedded thumbnails; a JPEG
// keeps its EXIF Orientation alone, so a phone photo stays upright). Headers
// only: no pixel is decoded, nothing native is needed. SVG is never an image here:
// it can carry scripts and links.

export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;
export type ImageType = typeof IMAGE_TYPES[number];

/** An image read from its headers, or why it is none: not one of the types, SVG, cut off, or malformed. */
export type ImageReading =
  | { ok: true; type: ImageType; width: number; height: number }
  | { ok: false; problem: 'type' | 'svg' | 'truncated' | 'corrupt' };

const startsWith = (bytes: Uint8Array, magic: readonly number[], at = 0) => magic.every((b, i) => bytes[at + i] === b);
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The image type of `bytes` by their magic number; undefined for anything else. */
export function sniffImage(bytes: Uint8Array): ImageType | undefined {
  if (startsWith(bytes, PNG_MAGIC)) return 'image/png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'image/webp';
  return undefined;
}

/** Whether the bytes look like SVG (XML text with an <svg element near its start). */
export function looksLikeSvg(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 4096)).toString('utf8').replace(/^\uFEFF/, '').trimStart().toLowerCase();
  return head.startsWith('<') && head.includes('<svg');
}

class Cut extends Error {}
class Bad extends Error {}

/** Reads the type and size in pixels, walking every chunk or segment to the end marker. */
export function readImage(bytes: Buffer): ImageReading {
  const type = sniffImage(bytes);
  if (!type) return { ok: false, problem: looksLikeSvg(bytes) ? 'svg' : 'type' };
  try {
    const { width, height } = type === 'image/png' ? pngParts(bytes).size : type === 'image/jpeg' ? jpegParts(bytes).size : webpParts(bytes).size;
    if (width < 1 || height < 1) return { ok: false, problem: 'corrupt' };
    return { ok: true, type, width, height };
  } catch (error) {
    if (error instanceof Cut || error instanceof RangeError) return { ok: false, problem: 'truncated' };
    if (error instanceof Bad) return { ok: false, problem: 'corrupt' };
    throw error;
  }
}

/** The image without its metadata (call on an image readImage accepted): only what is needed to show it is kept. */
export function withoutMetadata(bytes: Buffer, type: ImageType): Buffer {
  if (type === 'image/png') return Buffer.concat([bytes.subarray(0, 8), ...pngParts(bytes).chunks.filter((c) => PNG_KEEP.has(c.type)).map((c) => c.raw)]);
  if (type === 'image/jpeg') {
    let oriented = false; // one orientation: the first EXIF block's that has one, should a file carry two
    return Buffer.concat(jpegParts(bytes).segments.flatMap((s) => {
      if (s.marker === 0xe1 && oriented) return [];
      const kept = keptJpegSegment(s);
      if (s.marker === 0xe1 && kept.length > 0) oriented = true;
      return kept;
    }));
  }
  return webpWithout(bytes);
}

const need = (bytes: Buffer, end: number) => { if (end > bytes.length) throw new Cut(); };

// PNG: the signature, then chunks (length, type, data, CRC) from IHDR to IEND.
/** Critical chunks, and the ancillary ones that change how the picture looks (colour, transparency, animation); text, time and EXIF go. */
const PNG_KEEP = new Set(['IHDR', 'PLTE', 'IDAT', 'IEND', 'tRNS', 'gAMA', 'cHRM', 'sRGB', 'iCCP', 'sBIT', 'bKGD', 'pHYs', 'acTL', 'fcTL', 'fdAT']);

function pngParts(bytes: Buffer) {
  const chunks: Array<{ type: string; raw: Buffer }> = [];
  let at = 8;
  for (;;) {
    need(bytes, at + 8);
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    if (!/^[A-Za-z]{4}$/.test(type) || length > 0x7fffffff) throw new Bad();
    need(bytes, at + 12 + length);
    chunks.push({ type, raw: bytes.subarray(at, at + 12 + length) });
    at += 12 + length;
    if (type === 'IEND') break;
  }
  const ihdr = chunks[0];
  if (ihdr?.type !== 'IHDR' || ihdr.raw.length !== 25 || !chunks.some((c) => c.type === 'IDAT')) throw new Bad();
  return { chunks, size: { width: ihdr.raw.readUInt32BE(8), height: ihdr.raw.readUInt32BE(12) } };
}

// JPEG: SOI, then marker segments; after SOS the entropy-coded data runs to the next marker; EOI ends it.
const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

function jpegParts(bytes: Buffer) {
  const segments: Array<{ marker: number; raw: Buffer }> = [{ marker: 0xd8, raw: bytes.subarray(0, 2) }];
  let size: { width: number; height: number } | undefined;
  let at = 2;
  for (;;) {
    need(bytes, at + 2);
    if (bytes[at] !== 0xff) throw new Bad();
    let m = at + 1;
    while (bytes[m] === 0xff) { m++; need(bytes, m + 1); } // fill bytes
    const marker = bytes[m]!;
    const start = m + 1;
    if (marker === 0xd9) { segments.push({ marker, raw: Buffer.from([0xff, 0xd9]) }); break; }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { segments.push({ marker, raw: bytes.subarray(at, start) }); at = start; continue; }
    need(bytes, start + 2);
    const length = bytes.readUInt16BE(start);
    if (length < 2) throw new Bad();
    need(bytes, start + length);
    let end = start + length;
    if (SOF.has(marker)) {
      if (length < 7) throw new Bad();
      size = { height: bytes.readUInt16BE(start + 3), width: bytes.readUInt16BE(start + 5) };
    }
    if (marker === 0xda) {
      if (!size) throw new Bad();
      // The scan's data: up to the next marker that is neither a stuffed 0xFF00 nor a restart marker.
      for (;; end++) {
        need(bytes, end + 2);
        if (bytes[end] === 0xff && bytes[end + 1] !== 0x00 && !(bytes[end + 1]! >= 0xd0 && bytes[end + 1]! <= 0xd7)) break;
      }
    }
    segments.push({ marker, raw: bytes.subarray(at, end) });
    at = end;
  }
  if (!size) throw new Bad();
  return { segments, size };
}

/**
 * A JPEG segment as kept: APP0 only as the plain JFIF header (no thumbnail), APP1 only as a minimal EXIF block
 * holding the Orientation tag when the photo is turned or mirrored (2–8), APP2 only an ICC colour profile, APP14
 * (Adobe colour transform); other APPn and comments go.
 */
function keptJpegSegment(s: { marker: number; raw: Buffer }): Buffer[] {
  const label = (n: number) => s.raw.toString('latin1', 4, 4 + n);
  if (s.marker === 0xe0) {
    if (label(5) !== 'JFIF\0' || s.raw.length < 18) return [];
    const jfif = Buffer.from(s.raw.subarray(0, 18));
    jfif.writeUInt16BE(16, 2);
    jfif[16] = 0; jfif[17] = 0; // no thumbnail
    return [jfif];
  }
  if (s.marker === 0xe1) {
    const orientation = label(6) === 'Exif\0\0' ? exifOrientation(s.raw.subarray(10)) : undefined;
    return orientation === undefined ? [] : [orientationOnly(orientation)];
  }
  if (s.marker === 0xe2) return label(12) === 'ICC_PROFILE\0' ? [s.raw] : [];
  if (s.marker === 0xee) return [s.raw];
  if ((s.marker >= 0xe1 && s.marker <= 0xef) || s.marker === 0xfe) return [];
  return [s.raw];
}

// EXIF is a TIFF block: byte order (II little, MM big), 42, the offset of IFD0; an IFD is a count, 12-byte entries
// (tag, type, count, value or offset) and the next IFD's offset. Orientation is tag 0x0112, one SHORT, in IFD0.
const ORIENTATION = 0x0112;

/** The Orientation of an EXIF TIFF block when it turns or mirrors the picture (2–8); undefined when upright, absent or unreadable. */
function exifOrientation(tiff: Buffer): number | undefined {
  if (tiff.length < 8) return undefined;
  const order = tiff.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return undefined;
  const u16 = (at: number) => (order === 'II' ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number) => (order === 'II' ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  if (u16(2) !== 42) return undefined;
  const ifd = u32(4);
  if (ifd + 2 > tiff.length) return undefined;
  for (let i = 0, count = u16(ifd); i < count && ifd + 2 + (i + 1) * 12 <= tiff.length; i++) {
    const entry = ifd + 2 + i * 12;
    if (u16(entry) !== ORIENTATION) continue;
    const value = u16(entry + 2) === 3 && u32(entry + 4) === 1 ? u16(entry + 8) : 0;
    return value >= 2 && value <= 8 ? value : undefined;
  }
  return undefined;
}

/** An APP1 segment with the smallest EXIF block that says `orientation`: big-endian, IFD0 with that one tag, no next IFD. */
function orientationOnly(orientation: number): Buffer {
  const app1 = Buffer.alloc(2 + 2 + 6 + 26);
  app1.writeUInt16BE(0xffe1, 0);
  app1.writeUInt16BE(app1.length - 2, 2);
  app1.write('Exif\0\0MM\0\x2a', 4, 'latin1');
  app1.writeUInt32BE(8, 14); // IFD0 right after the header
  app1.writeUInt16BE(1, 18); // one entry
  app1.writeUInt16BE(ORIENTATION, 20);
  app1.writeUInt16BE(3, 22); // SHORT
  app1.writeUInt32BE(1, 24); // one value, in the entry itself
  app1.writeUInt16BE(orientation, 28);
  return app1; // the next IFD's offset (bytes 32–35) stays 0
}

// WebP: a RIFF container of chunks (fourcc, little-endian size, data padded to even).
function webpParts(bytes: Buffer) {
  need(bytes, 12);
  const riffEnd = 8 + bytes.readUInt32LE(4);
  need(bytes, riffEnd);
  const chunks: Array<{ fourcc: string; raw: Buffer; data: Buffer }> = [];
  for (let at = 12; at < riffEnd;) {
    need(bytes, at + 8);
    const fourcc = bytes.toString('latin1', at, at + 4);
    const length = bytes.readUInt32LE(at + 4);
    const end = at + 8 + length + (length % 2);
    if (end > riffEnd) throw new Cut();
    chunks.push({ fourcc, raw: bytes.subarray(at, end), data: bytes.subarray(at + 8, at + 8 + length) });
    at = end;
  }
  const first = chunks[0];
  if (!first) throw new Cut();
  let size: { width: number; height: number };
  if (first.fourcc === 'VP8X') {
    if (first.data.length < 10) throw new Bad();
    size = { width: 1 + first.data.readUIntLE(4, 3), height: 1 + first.data.readUIntLE(7, 3) };
    if (!chunks.some((c) => c.fourcc === 'VP8 ' || c.fourcc === 'VP8L' || c.fourcc === 'ANMF')) throw new Cut();
  } else if (first.fourcc === 'VP8 ') {
    if (first.data.length < 10 || !startsWith(first.data, [0x9d, 0x01, 0x2a], 3)) throw new Bad();
    size = { width: first.data.readUInt16LE(6) & 0x3fff, height: first.data.readUInt16LE(8) & 0x3fff };
  } else if (first.fourcc === 'VP8L') {
    if (first.data.length < 5 || first.data[0] !== 0x2f) throw new Bad();
    const bits = first.data.readUInt32LE(1);
    size = { width: 1 + (bits & 0x3fff), height: 1 + ((bits >> 14) & 0x3fff) };
  } else throw new Bad();
  return { chunks, size };
}

/**
 * The chunks a WebP needs to be shown: the extended header, the image (lossy, lossless, its alpha), the animation
 * and its frames, and the colour profile (kept in JPEG and PNG too). Anything else — EXIF, XMP, and chunks no
 * decoder knows, which can carry anything — goes: an allow-list, as for PNG and JPEG.
 */
const WEBP_KEEP = new Set(['VP8X', 'VP8 ', 'VP8L', 'ALPH', 'ANIM', 'ANMF', 'ICCP']);
// VP8X flags: ICC profile 0x20, alpha 0x10, EXIF 0x08, XMP 0x04, animation 0x02; the other bits are reserved (0).
const VP8X_ICC = 0x20;
const VP8X_KEPT_AS_IS = 0x10 | 0x02;

/** The WebP with only the chunks of WEBP_KEEP (the VP8X flags saying what is left), nothing after the RIFF. */
function webpWithout(bytes: Buffer): Buffer {
  const chunks = webpParts(bytes).chunks.filter((c) => WEBP_KEEP.has(c.fourcc));
  const hasIcc = chunks.some((c) => c.fourcc === 'ICCP');
  const body = Buffer.concat(chunks.map((c) => {
    if (c.fourcc !== 'VP8X') return c.raw;
    const vp8x = Buffer.from(c.raw);
    vp8x[8] = (vp8x[8]! & VP8X_KEPT_AS_IS) | (hasIcc ? VP8X_ICC : 0);
    return vp8x;
  }));
  const head = Buffer.from([...ascii('RIFF'), 0, 0, 0, 0, ...ascii('WEBP')]);
  head.writeUInt32LE(4 + body.length, 4);
  return Buffer.concat([head, body]);
}
