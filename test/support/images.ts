// Small images for upload tests: a real PNG (pngjs, decodable by Chromium), and
// JPEG and WebP files whose headers are real (markers, chunk sizes, dimensions)
// around made-up image data — enough for a gateway that reads headers only —
// each optionally carrying the metadata an upload must lose (text chunks, EXIF
// with a location, comments).
import { PNG } from 'pngjs';

/** What the metadata in these images says: a stored photo must not contain it. */
export const SECRET = 'GPS 52.5200N 13.4050E serial 4711';

const be32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
const be16 = (n: number) => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; };
const le32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };

/** A w×h PNG in one colour (r, g, b). */
export function png(w: number, h: number, colour: [number, number, number] = [200, 60, 40]): Buffer {
  const image = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h; i++) image.data.set([...colour, 255], i * 4);
  return PNG.sync.write(image);
}

/** The PNG with a tEXt chunk carrying SECRET before its first IDAT (the CRC is not checked by the gateway; Chromium ignores ancillary chunks' CRC errors). */
export function withPngText(image: Buffer): Buffer {
  const at = image.indexOf('IDAT') - 4;
  const data = Buffer.from(`Comment\0${SECRET}`, 'latin1');
  const chunk = Buffer.concat([be32(data.length), Buffer.from('tEXt'), data, be32(0)]);
  return Buffer.concat([image.subarray(0, at), chunk, image.subarray(at)]);
}

/** A JPEG's segments around made-up scan data: SOI, APP0 (JFIF), APP1 (EXIF with SECRET), COM, SOF0 w×h, SOS, scan, EOI. */
export function jpeg(w: number, h: number, opts: { metadata?: boolean } = {}): Buffer {
  const segment = (marker: number, data: Buffer) => Buffer.concat([Buffer.from([0xff, marker]), be16(data.length + 2), data]);
  const jfif = segment(0xe0, Buffer.concat([Buffer.from('JFIF\0', 'latin1'), Buffer.from([1, 1, 0, 0, 72, 0, 72, 0, 0])]));
  const exif = segment(0xe1, Buffer.from(`Exif\0\0${SECRET}`, 'latin1'));
  const comment = segment(0xfe, Buffer.from(SECRET, 'latin1'));
  const sof = segment(0xc0, Buffer.concat([Buffer.from([8]), be16(h), be16(w), Buffer.from([3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1])]));
  const sos = segment(0xda, Buffer.from([3, 1, 0, 2, 0x11, 3, 0x11, 0, 63, 0]));
  const scan = Buffer.from([0x12, 0x34, 0xff, 0x00, 0x56, 0x78, 0xff, 0xd0, 0x9a, 0xbc]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), jfif, ...(opts.metadata ? [exif, comment] : []), sof, sos, scan, Buffer.from([0xff, 0xd9])]);
}

/** An extended WebP (VP8X) of w×h with a lossless image chunk's header and, with metadata, an EXIF chunk carrying SECRET. */
export function webp(w: number, h: number, opts: { metadata?: boolean } = {}): Buffer {
  const chunk = (fourcc: string, data: Buffer) => Buffer.concat([Buffer.from(fourcc, 'latin1'), le32(data.length), data, data.length % 2 ? Buffer.from([0]) : Buffer.alloc(0)]);
  const vp8x = Buffer.alloc(10);
  vp8x[0] = opts.metadata ? 0x08 : 0;
  vp8x.writeUIntLE(w - 1, 4, 3);
  vp8x.writeUIntLE(h - 1, 7, 3);
  const vp8l = Buffer.alloc(9);
  vp8l[0] = 0x2f;
  vp8l.writeUInt32LE(((w - 1) & 0x3fff) | (((h - 1) & 0x3fff) << 14), 1);
  const body = Buffer.concat([chunk('VP8X', vp8x), chunk('VP8L', vp8l), ...(opts.metadata ? [chunk('EXIF', Buffer.from(SECRET, 'latin1'))] : [])]);
  return Buffer.concat([Buffer.from('RIFF'), le32(4 + body.length), Buffer.from('WEBP'), body]);
}
