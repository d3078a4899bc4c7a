// Screenshot comparison for the pages' key screens: a screenshot of a page or an
// element (videos, times and the signal indicator masked, animations and the
// caret off) compared pixel by pixel with its committed reference in
// test/e2e/screenshots with a per-screen tolerance. PORTIER_UPDATE_SCREENSHOTS=1
// writes the references instead; a failure writes the actual and the diff PNG
// to a temp folder and names them. The comparison runs in a worker thread
// (screen-compare.ts says why).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import type { CompareRequest, CompareResult } from './screen-compare.ts';

export const REFERENCES = join(import.meta.dirname, '..', 'e2e', 'screenshots');
const UPDATE = process.env.PORTIER_UPDATE_SCREENSHOTS === '1';

/**
 * What changes from run to run — live video (the fake camera animates), clock times
 * (and the table cells that hold them), the measured signal — gets a fixed box painted
 * in the mask colour by a style sheet the test's pages carry from their first render on
 * (fixVolatileBoxes): laid out and painted by the page itself, so sticky controls stay
 * on top and the picture never catches a box measured at another moment. A video's box
 * is settled once it shows frames (videosSettled). The admin's sticky section navigation
 * scrolls with the page, or it would cover the top of a section's picture.
 */
const FIXED_BOXES = [
  'video { object-position: -100000px -100000px !important; background: #ff00ff !important; }',
  '.signal > * { display: none !important; }',
  '.signal { display: inline-block !important; flex: 0 0 9rem !important; width: 9rem !important; min-width: 9rem !important; max-width: 9rem !important; height: 1.5rem !important; overflow: hidden !important; background: #ff00ff !important; }',
  'time { display: inline-block !important; width: 11em !important; white-space: nowrap !important; overflow: hidden !important; vertical-align: bottom !important; visibility: hidden !important; }',
  'td:has(> time) { background: #ff00ff !important; }',
  'nav.sections { position: static !important; }',
].join('\n');

export interface ScreenOptions {
  /** Share of pixels allowed to differ (anti-aliasing of text on another run); default 0.1 %. */
  tolerance?: number;
  /** Selectors the screenshot masks (in the same colour). */
  mask?: string[];
}

/**
 * The pixels of two PNGs that differ (pixelmatch's colour threshold 0.1, anti-aliased pixels
 * ignored), counted in a worker thread of its own: this process's event loop (the gateway's,
 * in the e2e files) stays free meanwhile. The diff picture comes only when more than the
 * `tolerance` (a share of the pixels) differ.
 */
export function comparePng(expected: Buffer, actual: Buffer, tolerance = 0): Promise<{ differing: number; allowed: number; total: number; diff: Buffer | null }> {
  const request: CompareRequest = { expected, actual, tolerance };
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./screen-compare.ts', import.meta.url), { workerData: request });
    let result: CompareResult | undefined;
    worker.once('message', (r: CompareResult) => { result = r; });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (!result) { reject(new Error(`screen comparison: the worker exited with ${code} and no result`)); return; }
      resolve({ ...result, diff: result.diff ? Buffer.from(result.diff) : null });
    });
  });
}

/**
 * Gives the context's pages the fixed boxes for volatile texts from their first
 * render on (screenshot()'s own `style` option may capture a frame laid out before it).
 * The context needs bypassCSP: the pages' Content-Security-Policy refuses inline styles.
 */
export async function fixVolatileBoxes(context: BrowserContext): Promise<void> {
  await context.addInitScript((css: string) => {
    document.addEventListener('DOMContentLoaded', () => {
      const sheet = document.createElement('style');
      sheet.dataset.test = 'fixed-boxes';
      sheet.textContent = css;
      document.head.append(sheet);
    });
  }, FIXED_BOXES);
}

/** Waits until every video that holds a stream shows frames (its size, and so the layout, is settled). */
export async function videosSettled(page: Page): Promise<void> {
  await page.waitForFunction(() => Array.from(document.querySelectorAll('video')).every((v) => !v.srcObject || v.videoWidth > 0));
}

/**
 * Compares a screenshot of `target` (a page: its viewport; a locator: that element)
 * with the reference `name`.png, or writes the reference when updating.
 */
export async function expectScreen(target: Page | Locator, name: string, options: ScreenOptions = {}): Promise<void> {
  const page = 'mouse' in target ? target : target.page();
  // No hover state on the last button clicked.
  await page.mouse.move(0, 0);
  await videosSettled(page);
  await page.locator('style[data-test="fixed-boxes"]').waitFor({ state: 'attached' });
  const mask = (options.mask ?? []).map((s) => page.locator(s));
  const actual = await target.screenshot({ animations: 'disabled', caret: 'hide', mask, maskColor: '#ff00ff', scale: 'css' });
  const reference = join(REFERENCES, `${name}.png`);
  if (UPDATE) {
    mkdirSync(REFERENCES, { recursive: true });
    writeFileSync(reference, actual);
    return;
  }
  const out = () => mkdtempSync(join(tmpdir(), `portier-screen-${name}-`));
  if (!existsSync(reference)) {
    const dir = out();
    writeFileSync(join(dir, 'actual.png'), actual);
    throw new Error(`screen ${name}: no reference ${reference} (actual: ${join(dir, 'actual.png')}; PORTIER_UPDATE_SCREENSHOTS=1 writes the references)`);
  }
  const { differing, allowed, total, diff } = await comparePng(readFileSync(reference), actual, options.tolerance ?? 0.001);
  if (differing <= allowed) return;
  const dir = out();
  writeFileSync(join(dir, 'actual.png'), actual);
  if (diff) writeFileSync(join(dir, 'diff.png'), diff);
  throw new Error(`screen ${name}: ${differing} of ${total} pixels differ (allowed ${allowed}${diff ? '' : '; the size differs'}) — reference ${reference}, actual ${join(dir, 'actual.png')}${diff ? `, diff ${join(dir, 'diff.png')}` : ''}`);
}

/**
 * Stops the page's clock where it is (timers wait until resume): a screen that
 * leaves on its own after a while (door open, call ended) stays for its screenshot.
 * The page's clock must have been installed (context.clock.install).
 */
export async function pauseClock(page: Page): Promise<void> {
  for (;;) {
    const now = await page.evaluate(() => Date.now());
    try {
      await page.clock.pauseAt(now + 50);
      return;
    } catch (error) {
      // The page's time moved past `now + 50` meanwhile: read it again.
      if (!/past/.test(String(error))) throw error;
    }
  }
}
