// The energy of one frequency in a block of samples (the Goertzel algorithm):
// how tests and the benchmark tell which sources a mix carries, by their tones.

/** Relative power of `frequency` (Hz) in `samples` at `sampleRate`, normalised by the block's length. */
export function toneEnergy(samples: ArrayLike<number>, frequency: number, sampleRate = 8000): number {
  const coefficient = 2 * Math.cos((2 * Math.PI * frequency) / sampleRate);
  let previous = 0;
  let beforePrevious = 0;
  for (let i = 0; i < samples.length; i += 1) {
    const current = samples[i]! + coefficient * previous - beforePrevious;
    beforePrevious = previous;
    previous = current;
  }
  const power = previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious;
  return power / (samples.length * samples.length);
}
