// The kiosk's sound cues as Chromium renders them (Web Audio, an OfflineAudioContext
// fed by the page's own scheduleCue): each note at its pitch, in order, as loud as
// the site's volume says, and silence after the cue. The kiosk test checks when a
// cue plays (kiosk.test.ts); this one what it sounds like. No gateway.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchChromium } from '../support/browser.ts';
import { bundle } from '../support/page-server.ts';
import { CUE_NOTES, CUE_PEAK, NOTE_S, type CueKind } from '../../web/src/terminal/cues.ts';

const RATE = 48_000;

/** The pitch of a stretch of samples (Hz): rising zero crossings, interpolated, over the time between the first and the last. */
function pitch(samples: number[]): number {
  const crossings: number[] = [];
  for (let i = 1; i < samples.length; i++) {
    const [a, b] = [samples[i - 1]!, samples[i]!];
    if (a < 0 && b >= 0) crossings.push(i - 1 + a / (a - b));
  }
  if (crossings.length < 3) return 0;
  return ((crossings.length - 1) * RATE) / (crossings.at(-1)! - crossings[0]!);
}

const peakOf = (samples: number[]): number => samples.reduce((m, s) => Math.max(m, Math.abs(s)), 0);

describe('kiosk sound cues, rendered by Chromium', () => {
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  beforeAll(async () => {
    chromium = await launchChromium();
    page = await chromium.browser.newPage();
    await page.setContent('<!doctype html><meta charset="utf-8">');
    await page.addScriptTag({ content: await bundle(join(import.meta.dirname, 'fixtures', 'cue-render.ts')) });
  });
  afterAll(async () => { await chromium?.close(); });

  const render = (kind: CueKind, volume: number) => page.evaluate(([k, v]) => window.renderCue(k, v), [kind, volume] as const);

  for (const kind of Object.keys(CUE_NOTES) as CueKind[]) {
    it(`${kind}: the notes ${CUE_NOTES[kind].join(', ')} Hz in order, as loud as the volume says, then silence`, async () => {
      const [full, quiet] = [await render(kind, 100), await render(kind, 30)];
      const notes = CUE_NOTES[kind].map((_, i) => {
        const part = (s: number[], from: number, to: number) => s.slice(Math.round((i * NOTE_S + from) * RATE), Math.round((i * NOTE_S + to) * RATE));
        // The pitch over the note's body (past its 20 ms swell, before its fade nears the floor); the loudness around the swell's
        // top (a sample near it: a low note's crest may fall a few per cent below the envelope's peak).
        return { hz: pitch(part(full, 0.025, 0.12)), peak: peakOf(part(full, 0, 0.05)), quietPeak: peakOf(part(quiet, 0, 0.05)) };
      });
      notes.forEach((n, i) => {
        expect(Math.abs(n.hz - CUE_NOTES[kind][i]!), `note ${i + 1}: ${n.hz} Hz`).toBeLessThan(1);
        expect(Math.abs(n.peak - CUE_PEAK), `note ${i + 1} at volume 100: ${n.peak}`).toBeLessThan(0.05);
        expect(Math.abs(n.quietPeak / n.peak - 0.3), `note ${i + 1} at volume 30 against 100`).toBeLessThan(0.02);
      });
      const after = full.slice(Math.round((CUE_NOTES[kind].length * NOTE_S + 0.005) * RATE));
      expect(after.length).toBeGreaterThan(0);
      expect(peakOf(after)).toBe(0);
    });
  }
});
