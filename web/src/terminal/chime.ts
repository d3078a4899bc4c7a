// The audible cue of a call the terminal answered by itself (a telephone calling the
// lobby back): a short three-note chime through Web Audio, so people in the lobby
// hear that someone is connected even when they do not look at the screen.
const NOTES_HZ = [659.25, 783.99, 1046.5];
const NOTE_S = 0.28;

/**
 * Plays the chime; resolves with 'played' once the audio context runs (the notes are scheduled),
 * 'blocked' when the browser keeps it suspended (autoplay policy without a gesture) or has no Web Audio.
 */
export async function playChime(): Promise<'played' | 'blocked'> {
  const Ctx = window.AudioContext;
  if (!Ctx) return 'blocked';
  const ctx = new Ctx();
  try {
    if (ctx.state !== 'running') await Promise.race([ctx.resume(), new Promise((r) => setTimeout(r, 1000))]);
    if (ctx.state !== 'running') { void ctx.close(); return 'blocked'; }
    const start = ctx.currentTime + 0.05;
    NOTES_HZ.forEach((hz, i) => {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = hz;
      const at = start + i * NOTE_S;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.4, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + NOTE_S);
      osc.connect(gain).connect(ctx.destination);
      osc.start(at);
      osc.stop(at + NOTE_S);
    });
    // The context closes once the last note has played.
    setTimeout(() => void ctx.close(), (NOTES_HZ.length * NOTE_S + 0.5) * 1000);
    return 'played';
  } catch {
    void ctx.close();
    return 'blocked';
  }
}
