// Small images for upload tests: a real PNG (pngjs, decodable by Chromium), and
// JPEG and WebP files whose headers are real (markers, chunk sizes, dimensions)
// around made-up image data — enough for a gateway that reads headers only —
// each optionally carrying the metadata an upload must lose (text chunks, EXIF
// with a location, comments; a phone camera's EXIF block with its Orientation;
// WebP XMP, colour-profile and unknown chunks).
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

/**
 * A JPEG's segments around made-up scan data: SOI, APP0 (JFIF), APP1 (EXIF with SECRET), COM, SOF0 w×h, SOS, scan, EOI.
 * `camera`: the APP1 is a real EXIF block of a phone photo instead — IFD0 with Make, Model (SECRET), the Orientation
 * and a GPS IFD (a location, SECRET) — in the byte order given. `orientation` alone: the only APP1 is the minimal
 * EXIF block the gateway keeps (big-endian, IFD0 with the Orientation tag only).
 */
export function jpeg(w: number, h: number, opts: { metadata?: boolean; orientation?: number; camera?: { orientation: number; order: 'II' | 'MM' } } = {}): Buffer {
  const segment = (marker: number, data: Buffer) => Buffer.concat([Buffer.from([0xff, marker]), be16(data.length + 2), data]);
  const jfif = segment(0xe0, Buffer.concat([Buffer.from('JFIF\0', 'latin1'), Buffer.from([1, 1, 0, 0, 72, 0, 72, 0, 0])]));
  const exif = segment(0xe1, opts.camera ? Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), cameraTiff(opts.camera.orientation, opts.camera.order)]) : Buffer.from(`Exif\0\0${SECRET}`, 'latin1'));
  const oriented = opts.orientation === undefined ? [] : [segment(0xe1, Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), orientationTiff(opts.orientation)]))];
  const comment = segment(0xfe, Buffer.from(SECRET, 'latin1'));
  const sof = segment(0xc0, Buffer.concat([Buffer.from([8]), be16(h), be16(w), Buffer.from([3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1])]));
  const sos = segment(0xda, Buffer.from([3, 1, 0, 2, 0x11, 3, 0x11, 0, 63, 0]));
  const scan = Buffer.from([0x12, 0x34, 0xff, 0x00, 0x56, 0x78, 0xff, 0xd0, 0x9a, 0xbc]);
  const metadata = opts.metadata || opts.camera ? [exif, comment] : [];
  return Buffer.concat([Buffer.from([0xff, 0xd8]), jfif, ...oriented, ...metadata, sof, sos, scan, Buffer.from([0xff, 0xd9])]);
}

/** A real JPEG (e.g. Chromium's canvas encoder's) with a phone camera's EXIF block (make, model, GPS, the orientation) after its JFIF header. */
export function withCameraExif(image: Buffer, orientation: number): Buffer {
  const at = image[3] === 0xe0 ? 4 + image.readUInt16BE(4) : 2;
  const tiff = cameraTiff(orientation, 'II');
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1]), be16(tiff.length + 8), Buffer.from('Exif\0\0', 'latin1'), tiff]);
  return Buffer.concat([image.subarray(0, at), app1, image.subarray(at)]);
}

/**
 * A real WebP of w×h (e.g. Chromium's canvas encoder's: VP8X, ICCP, VP8) with EXIF, XMP and an unknown chunk after
 * its image, all carrying SECRET; its VP8X flags say EXIF and XMP (a simple file gets a VP8X first).
 */
export function withWebpMetadata(image: Buffer, w: number, h: number): Buffer {
  const chunk = (fourcc: string, data: Buffer) => Buffer.concat([Buffer.from(fourcc, 'latin1'), le32(data.length), data, data.length % 2 ? Buffer.from([0]) : Buffer.alloc(0)]);
  let own = Buffer.from(image.subarray(12));
  if (own.toString('latin1', 0, 4) !== 'VP8X') {
    const vp8x = Buffer.alloc(10);
    vp8x.writeUIntLE(w - 1, 4, 3);
    vp8x.writeUIntLE(h - 1, 7, 3);
    own = Buffer.concat([chunk('VP8X', vp8x), own]);
  }
  own[8] = own[8]! | 0x08 | 0x04;
  const body = Buffer.concat([own, chunk('EXIF', Buffer.from(SECRET, 'latin1')),
    chunk('XMP ', Buffer.from(`<x:xmpmeta>${SECRET}</x:xmpmeta>`, 'latin1')), chunk('zzzz', Buffer.from(SECRET, 'latin1'))]);
  return Buffer.concat([Buffer.from('RIFF'), le32(4 + body.length), Buffer.from('WEBP'), body]);
}

/** The minimal TIFF block: big-endian header, IFD0 with one entry (Orientation, SHORT, 1), no next IFD. */
function orientationTiff(orientation: number): Buffer {
  return Buffer.concat([Buffer.from('MM\0\x2a', 'latin1'), be32(8), be16(1), be16(0x0112), be16(3), be32(1), be16(orientation), be16(0), be32(0)]);
}

/** A phone camera's TIFF block: IFD0 (Make, Model, Orientation, GPS pointer), a GPS IFD (latitude ref, processing method), then the strings. */
function cameraTiff(orientation: number, order: 'II' | 'MM'): Buffer {
  const u16 = (n: number) => { const b = Buffer.alloc(2); if (order === 'II') b.writeUInt16LE(n); else b.writeUInt16BE(n); return b; };
  const u32 = (n: number) => { const b = Buffer.alloc(4); if (order === 'II') b.writeUInt32LE(n); else b.writeUInt32BE(n); return b; };
  const make = Buffer.from('PhoneCo\0', 'latin1');
  const model = Buffer.from(`${SECRET}\0`, 'latin1');
  const method = Buffer.from(`ASCII\0\0\0${SECRET}`, 'latin1');
  const ifd0At = 8;
  const gpsAt = ifd0At + 2 + 4 * 12 + 4;
  const makeAt = gpsAt + 2 + 2 * 12 + 4;
  const modelAt = makeAt + make.length;
  const methodAt = modelAt + model.length;
  const entry = (tag: number, type: number, count: number, value: Buffer) => Buffer.concat([u16(tag), u16(type), u32(count), value]);
  return Buffer.concat([
    Buffer.from(order, 'latin1'), u16(42), u32(ifd0At),
    u16(4), entry(0x010f, 2, make.length, u32(makeAt)), entry(0x0110, 2, model.length, u32(modelAt)),
    entry(0x0112, 3, 1, Buffer.concat([u16(orientation), u16(0)])), entry(0x8825, 4, 1, u32(gpsAt)), u32(0),
    u16(2), entry(0x0001, 2, 2, Buffer.from('N\0\0\0', 'latin1')), entry(0x001b, 7, method.length, u32(methodAt)), u32(0),
    make, model, method,
  ]);
}

/**
 * An extended WebP (VP8X) of w×h with a lossless image chunk's header and, with metadata, an EXIF chunk carrying
 * SECRET. `chunks`: more chunks after the image (fourcc and content, e.g. XMP or an unknown one); `icc`: an ICCP
 * chunk before the image; `flags`: the VP8X flags byte as given (otherwise it says what the file holds).
 */
export function webp(w: number, h: number, opts: { metadata?: boolean; icc?: boolean; chunks?: Array<[string, string]>; flags?: number } = {}): Buffer {
  const chunk = (fourcc: string, data: Buffer) => Buffer.concat([Buffer.from(fourcc, 'latin1'), le32(data.length), data, data.length % 2 ? Buffer.from([0]) : Buffer.alloc(0)]);
  const vp8x = Buffer.alloc(10);
  const extra = opts.chunks ?? [];
  vp8x[0] = opts.flags ?? ((opts.icc ? 0x20 : 0) | (opts.metadata || extra.some(([f]) => f === 'EXIF') ? 0x08 : 0) | (extra.some(([f]) => f === 'XMP ') ? 0x04 : 0));
  vp8x.writeUIntLE(w - 1, 4, 3);
  vp8x.writeUIntLE(h - 1, 7, 3);
  const vp8l = Buffer.alloc(9);
  vp8l[0] = 0x2f;
  vp8l.writeUInt32LE(((w - 1) & 0x3fff) | (((h - 1) & 0x3fff) << 14), 1);
  const body = Buffer.concat([
    chunk('VP8X', vp8x), ...(opts.icc ? [chunk('ICCP', Buffer.from('a colour profile', 'latin1'))] : []), chunk('VP8L', vp8l),
    ...(opts.metadata ? [chunk('EXIF', Buffer.from(SECRET, 'latin1'))] : []), ...extra.map(([fourcc, data]) => chunk(fourcc, Buffer.from(data, 'latin1'))),
  ]);
  return Buffer.concat([Buffer.from('RIFF'), le32(4 + body.length), Buffer.from('WEBP'), body]);
}

/** A WebP's chunks in order (fourcc and VP8X flags), to check what a rewrite kept. */
export function webpChunks(bytes: Buffer): { fourccs: string[]; flags: number | undefined; riffSize: number } {
  const fourccs: string[] = [];
  let flags: number | undefined;
  for (let at = 12; at + 8 <= bytes.length;) {
    const fourcc = bytes.toString('latin1', at, at + 4);
    const length = bytes.readUInt32LE(at + 4);
    if (fourcc === 'VP8X') flags = bytes[at + 8];
    fourccs.push(fourcc);
    at += 8 + length + (length % 2);
  }
  return { fourccs, flags, riffSize: bytes.readUInt32LE(4) };
}

/** The tags of a JPEG's EXIF IFD0 (tag → first value, SHORT or LONG) and how many APP1 segments it has, read by the test itself. */
export function jpegExif(bytes: Buffer): { app1: number; ifd0: Map<number, number>; nextIfd: number | undefined } {
  let app1 = 0;
  const ifd0 = new Map<number, number>();
  let nextIfd: number | undefined;
  for (let at = 2; at + 4 <= bytes.length && bytes[at] === 0xff && bytes[at + 1] !== 0xda;) {
    const length = bytes.readUInt16BE(at + 2);
    if (bytes[at + 1] === 0xe1) {
      app1++;
      const tiff = bytes.subarray(at + 10, at + 2 + length);
      if (bytes.toString('latin1', at + 4, at + 10) === 'Exif\0\0') {
        const le = tiff.toString('latin1', 0, 2) === 'II';
        const u16 = (o: number) => (le ? tiff.readUInt16LE(o) : tiff.readUInt16BE(o));
        const u32 = (o: number) => (le ? tiff.readUInt32LE(o) : tiff.readUInt32BE(o));
        const ifd = u32(4);
        for (let i = 0; i < u16(ifd); i++) {
          const e = ifd + 2 + i * 12;
          ifd0.set(u16(e), u16(e + 2) === 3 ? u16(e + 8) : u32(e + 8));
        }
        nextIfd = u32(ifd + 2 + u16(ifd) * 12);
      }
    }
    at += 2 + length;
  }
  return { app1, ifd0, nextIfd };
}
