// Reading uploaded images from their own bytes (src/core/images.ts): type by
// magic number, size in pixels from the headers, a file cut anywhere is never
// taken for an image, SVG and HTML are no images, and the copy without metadata
// is the same picture without the EXIF, text chunks and comments — a JPEG keeps
// its EXIF Orientation alone (review s25 #11), a WebP only the chunks that show it.
import { describe, expect, it } from 'vitest';
import { readImage, withoutMetadata } from '../../src/core/index.ts';
import { SECRET, jpeg, jpegExif, png, webp, webpChunks, withPngText } from '../support/images.ts';

describe('images read by their headers', () => {
  const samples = { 'image/png': withPngText(png(40, 30)), 'image/jpeg': jpeg(640, 480, { metadata: true }), 'image/webp': webp(9, 7, { metadata: true }) } as const;
  const sizes = { 'image/png': [40, 30], 'image/jpeg': [640, 480], 'image/webp': [9, 7] } as const;

  it('reads the type and the size in pixels of PNG, JPEG and WebP', () => {
    for (const [type, bytes] of Object.entries(samples) as Array<[keyof typeof samples, Buffer]>) {
      const [width, height] = sizes[type];
      expect(readImage(bytes), type).toEqual({ ok: true, type, width, height });
    }
  });

  it('takes no file cut short for an image, wherever it is cut', () => {
    for (const [type, bytes] of Object.entries(samples)) {
      for (let length = 12; length < bytes.length; length++) {
        const reading = readImage(bytes.subarray(0, length));
        expect(reading.ok, `${type} cut at ${length} of ${bytes.length}`).toBe(false);
      }
    }
  });

  it('says SVG for SVG and no image for HTML or text, whatever they are called', () => {
    expect(readImage(Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'))).toEqual({ ok: false, problem: 'svg' });
    expect(readImage(Buffer.from('<!doctype html><html><body><script>alert(1)</script></body></html>'))).toEqual({ ok: false, problem: 'type' });
    expect(readImage(Buffer.from('GIF89a....'))).toEqual({ ok: false, problem: 'type' });
  });

  it('keeps the picture and drops the metadata: EXIF, comments, text chunks', () => {
    for (const [type, bytes] of Object.entries(samples) as Array<[keyof typeof samples, Buffer]>) {
      expect(bytes.includes(SECRET), type).toBe(true);
      const clean = withoutMetadata(bytes, type);
      expect(clean.includes(SECRET), type).toBe(false);
      const [width, height] = sizes[type];
      expect(readImage(clean), type).toEqual({ ok: true, type, width, height });
    }
    // Without metadata the PNG is exactly what its encoder wrote, the JPEG exactly the file made without it.
    expect(withoutMetadata(samples['image/png'], 'image/png')).toEqual(png(40, 30));
    expect(withoutMetadata(samples['image/jpeg'], 'image/jpeg')).toEqual(jpeg(640, 480));
    expect(withoutMetadata(samples['image/webp'], 'image/webp')).toEqual(webp(9, 7));
  });

  it("keeps a phone photo's EXIF Orientation, and nothing else of its EXIF: no make, model or location, in either byte order", () => {
    for (const order of ['II', 'MM'] as const) {
      const photo = jpeg(640, 480, { camera: { orientation: 6, order } });
      expect(jpegExif(photo).ifd0.get(0x0112), order).toBe(6);
      expect(photo.includes('PhoneCo'), order).toBe(true);
      const clean = withoutMetadata(photo, 'image/jpeg');
      expect(clean.includes(SECRET), order).toBe(false);
      expect(clean.includes('PhoneCo'), order).toBe(false);
      const exif = jpegExif(clean);
      expect(exif.app1, order).toBe(1);
      expect([...exif.ifd0], order).toEqual([[0x0112, 6]]);
      expect(exif.nextIfd, order).toBe(0);
      expect(clean, order).toEqual(jpeg(640, 480, { orientation: 6 }));
      expect(readImage(clean), order).toEqual({ ok: true, type: 'image/jpeg', width: 640, height: 480 });
    }
    // Every turn or mirror (2–8) is kept; upright (1) and values outside the tag's range need no EXIF at all.
    for (const orientation of [2, 3, 4, 5, 7, 8]) {
      expect(withoutMetadata(jpeg(64, 48, { camera: { orientation, order: 'II' } }), 'image/jpeg'), String(orientation)).toEqual(jpeg(64, 48, { orientation }));
    }
    for (const orientation of [0, 1, 9, 0xffff]) {
      expect(withoutMetadata(jpeg(64, 48, { camera: { orientation, order: 'MM' } }), 'image/jpeg'), String(orientation)).toEqual(jpeg(64, 48));
    }
    // Two EXIF blocks (a camera's and an editor's) leave one orientation, the first.
    const twice = jpeg(64, 48, { camera: { orientation: 6, order: 'II' } });
    const sof = twice.indexOf(Buffer.from([0xff, 0xc0]));
    const second = jpeg(64, 48, { orientation: 8 }).subarray(20, 56);
    expect(jpegExif(Buffer.concat([twice.subarray(0, sof), second, twice.subarray(sof)])).app1).toBe(2);
    expect(withoutMetadata(Buffer.concat([twice.subarray(0, sof), second, twice.subarray(sof)]), 'image/jpeg')).toEqual(jpeg(64, 48, { orientation: 6 }));
    // A kept block is kept as it is: stripping twice changes nothing.
    expect(withoutMetadata(jpeg(64, 48, { orientation: 8 }), 'image/jpeg')).toEqual(jpeg(64, 48, { orientation: 8 }));
  });

  it('keeps only the WebP chunks that show the picture (and its colour profile): XMP, EXIF and unknown chunks go, the VP8X flags say so', () => {
    const full = webp(9, 7, { metadata: true, icc: true, chunks: [['XMP ', `<x:xmpmeta>${SECRET}</x:xmpmeta>`], ['zzzz', `vendor ${SECRET}`], ['THMB', SECRET]] });
    expect(webpChunks(full)).toMatchObject({ fourccs: ['VP8X', 'ICCP', 'VP8L', 'EXIF', 'XMP ', 'zzzz', 'THMB'], flags: 0x2c });
    const clean = withoutMetadata(full, 'image/webp');
    expect(clean.includes(SECRET)).toBe(false);
    expect(webpChunks(clean)).toEqual({ fourccs: ['VP8X', 'ICCP', 'VP8L'], flags: 0x20, riffSize: clean.length - 8 });
    expect(clean).toEqual(webp(9, 7, { icc: true }));
    expect(readImage(clean)).toEqual({ ok: true, type: 'image/webp', width: 9, height: 7 });
    // An unknown chunk alone goes too, and a VP8X flag naming a profile the file lacks is cleared.
    const odd = webp(9, 7, { chunks: [['zzzz', SECRET]], flags: 0x20 | 0x08 });
    expect(webpChunks(withoutMetadata(odd, 'image/webp'))).toEqual({ fourccs: ['VP8X', 'VP8L'], flags: 0, riffSize: webp(9, 7).length - 8 });
    expect(withoutMetadata(odd, 'image/webp')).toEqual(webp(9, 7));
  });
});
