// The incoming-call ring: a two-tone pattern from WebAudio (no sound file),
// repeated until stopped.
export class Ringer {
  #ctx?: AudioContext;
  #timer?: number;

  start(): void {
    if (this.#timer !== undefined) return;
    this.#ctx ??= new AudioContext();
    const beep = () => {
      const ctx = this.#ctx!;
      for (const [freq, at] of [[880, 0], [660, 0.25]] as const) {
        const osc = ctx.createOscillator();
        const gain = ctx.createGain();
        gain.gain.value = 0.15;
        osc.frequency.value = freq;
        osc.connect(gain).connect(ctx.destination);
        osc.start(ctx.currentTime + at);
        osc.stop(ctx.currentTime + at + 0.2);
      }
    };
    beep();
    this.#timer = window.setInterval(beep, 2000);
  }

  stop(): void {
    if (this.#timer !== undefined) window.clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
