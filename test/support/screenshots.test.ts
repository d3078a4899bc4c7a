// The screen comparison of test/e2e/screenshots: what it counts, and that it runs
// off this thread (the e2e files host the gateway here: screen-compare.ts says why).
import { describe, expect, it, vi } from 'vitest';
import { PNG } from 'pngjs';
import { comparePng } from './screenshots.ts';

// This thread may not decode, compare or encode a picture: a comparison that does fails here.
vi.mock('pixelmatch', () => ({ default: () => { throw new Error('pixelmatch ran on the main thread'); } }));
vi.mock('pngjs', async (importOriginal) => {
  const { PNG: Png } = await importOriginal<typeof import('pngjs')>();
  const refuse = () => { throw new Error('pngjs decoded or encoded on the main thread'); };
  return { PNG: Object.assign(Png, { sync: { read: refuse, write: refuse } }) };
});

/** A `width`×`height` PNG, grey, with the first `red` pixels red (encoded with pngjs' stream API, not its sync one). */
async function picture(width: number, height: number, red = 0): Promise<Buffer> {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) png.data.set(i < red ? [255, 0, 0, 255] : [128, 128, 128, 255], i * 4);
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => png.pack().on('data', (c: Buffer) => chunks.push(c)).on('end', resolve).on('error', reject));
  return Buffer.concat(chunks);
}

describe('comparePng', () => {
  it('counts in a worker thread: equal pictures differ in no pixel and bring no diff picture', async () => {
    const same = await picture(40, 30);
    await expect(comparePng(same, same, 0.001)).resolves.toEqual({ differing: 0, allowed: 1, total: 1200, diff: null });
  });

  it('counts the pixels that differ and brings the diff picture only beyond the tolerance', async () => {
    const grey = await picture(40, 30);
    const reddish = await picture(40, 30, 12);
    const within = await comparePng(grey, reddish, 0.01);
    expect(within).toEqual({ differing: 12, allowed: 12, total: 1200, diff: null });
    const beyond = await comparePng(grey, reddish, 0.001);
    expect(beyond).toMatchObject({ differing: 12, allowed: 1, total: 1200 });
    expect(beyond.diff?.subarray(1, 4).toString()).toBe('PNG');
  });

  it('a picture of another size differs in every pixel', async () => {
    await expect(comparePng(await picture(40, 30), await picture(30, 40), 0.001)).resolves.toMatchObject({ differing: 1200, diff: null });
  });
});
