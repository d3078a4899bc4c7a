// The kiosk's sound cues: a visitor who looks away hears that the call rings, that
// the door is open (come in) or that it failed. Tones made with Web Audio (no sound
// files); how loud is the site's setting (cueVolume, 0: none). One AudioContext,
// resumed at the visitor's touch (the kiosk browser's autoplay policy): a cue the
// browser keeps silent is recorded as 'blocked', never as played.

export type CueKind = 'ringing' | 'door-open' | 'door-failed';

/** The notes of each cue (Hz, in order): ringing two calm tones, open rising, failed falling and low. */
export const CUE_NOTES: Readonly<Record<CueKind, readonly number[]>> = {
  ringing: [440, 554.37],
  'door-open': [523.25, 659.25, 783.99],
  'door-failed': [392, 261.63],
};
/** Each note's length (s). */
export const NOTE_S = 0.22;

/** What became of a cue: played, kept silent by the browser, or not played because the site turned cues off. */
export type CueOutcome = 'played' | 'blocked' | 'off';

/** How many recent cues the page keeps: a kiosk page runs for weeks without a reload. */
export const CUE_LOG_SIZE = 20;

/** The loudest a cue gets (at volume 100), below the destination's clipping. */
export const CUE_PEAK = 0.5;

/**
 * Schedules a cue's notes on `ctx` from `at` (seconds on its clock) at `volume` (1 to 100):
 * each note a sine that swells in 20 ms and fades out over its NOTE_S. Any context renders
 * it: the kiosk's running one, or an offline one that checks the tones (test/e2e/cue-tones.test.ts).
 */
export function scheduleCue(ctx: BaseAudioContext, kind: CueKind, volume: number, at: number): void {
  const peak = Math.max(0.0002, (volume / 100) * CUE_PEAK);
  CUE_NOTES[kind].forEach((hz, i) => {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = hz;
    const from = at + i * NOTE_S;
    gain.gain.setValueAtTime(0.0001, from);
    gain.gain.exponentialRampToValueAtTime(peak, from + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, from + NOTE_S);
    osc.connect(gain).connect(ctx.destination);
    osc.start(from);
    osc.stop(from + NOTE_S);
  });
}

export class CuePlayer {
  #ctx: AudioContext | undefined;
  #volume: number;
  /** The last CUE_LOG_SIZE cues asked for, with their outcome ("ringing:played"): the page shows them as data-cues for tests and support. */
  readonly log: string[] = [];
  readonly #onLog: (log: readonly string[]) => void;

  constructor(volume: number, onLog: (log: readonly string[]) => void) {
    this.#volume = volume;
    this.#onLog = onLog;
  }

  /** The site's setting, 0 to 100 (0: no cues). */
  set volume(v: number) { this.#volume = v; }

  /** At the visitor's touch: the one moment the browser lets audio start. */
  unlock(): void {
    if (this.#volume === 0) return;
    const ctx = this.#context();
    if (ctx && ctx.state !== 'running') void ctx.resume().catch(() => undefined);
  }

  play(kind: CueKind): CueOutcome {
    const outcome = this.#schedule(kind);
    this.log.push(`${kind}:${outcome}`);
    if (this.log.length > CUE_LOG_SIZE) this.log.splice(0, this.log.length - CUE_LOG_SIZE);
    this.#onLog(this.log);
    return outcome;
  }

  #schedule(kind: CueKind): CueOutcome {
    if (this.#volume === 0) return 'off';
    const ctx = this.#context();
    if (!ctx || ctx.state !== 'running') return 'blocked';
    scheduleCue(ctx, kind, this.#volume, ctx.currentTime + 0.02);
    return 'played';
  }

  #context(): AudioContext | undefined {
    if (!this.#ctx && typeof window.AudioContext === 'function') this.#ctx = new AudioContext();
    return this.#ctx;
  }

  close(): void { void this.#ctx?.close(); this.#ctx = undefined; }
}
