// Reading uploaded images from their own bytes (src/core/images.ts): type by
// magic number, size in pixels from the headers, a file cut anywhere is never
// taken for an image, SVG and HTML are no images, and the copy without metadata
// is the same picture without the EXIF, text chunks and comments.
import { describe, expect, it } from 'vitest';
import { readImage, withoutMetadata } from '../../src/core/index.ts';
import { SECRET, jpeg, png, webp, withPngText } from '../support/images.ts';

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
});
