// Rule and flow runs the hub started and not settled yet, so idle() can wait for
// them: one reaction per run, no wrapper promises (the card path is hot).
export class InFlight {
  #count = 0;
  #drained: Array<() => void> = [];
  readonly #onError: (error: unknown) => void;

  /** `onError` reports a failed flow run (a rule run reports its own failures). */
  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  readonly #settled = (): void => {
    if (--this.#count === 0) for (const resolve of this.#drained.splice(0)) resolve();
  };

  readonly #failed = (error: unknown): void => {
    this.#onError(error);
    this.#settled();
  };

  /** Counts a rule run until it settles. */
  track(work: Promise<unknown>): void {
    this.#count++;
    work.then(this.#settled, this.#settled);
  }

  /** Counts a flow run until it settles; a failure is reported. */
  trackFlow(work: Promise<unknown>): void {
    this.#count++;
    work.then(this.#settled, this.#failed);
  }

  get count(): number { return this.#count; }

  /** Resolves when nothing tracked is in flight (at once when nothing is). */
  drained(): Promise<void> {
    if (this.#count === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.#drained.push(resolve));
  }
}
