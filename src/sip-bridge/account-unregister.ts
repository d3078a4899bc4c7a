// How a closing account takes its binding down at the server in use: the un-REGISTER
// (expires=0) waited for until a deadline, and what came of it. Shutdown gives it 8·T1
// (it must not wait Timer F); an admin's delete or disable gives it Timer F (64·T1): a
// challenge round trip on a loaded machine can take longer than 8·T1, and a binding the
// registrar keeps would still ring for an account that no longer exists.
import type { Emitter, Registerer, RegistererState } from 'sip.js';
import type { Clock } from '../core/index.ts';

/**
 * What became of the account's binding when it closed: `removed` (the un-REGISTER got a 2xx), `none` (nothing was
 * registered: never, or the registration had failed), `kept` (the un-REGISTER was refused or got no final answer
 * within the bound — `code` 408 — so the registrar may keep the binding until it expires).
 */
export type BindingOutcome = { binding: 'removed' } | { binding: 'none' } | { binding: 'kept'; code: number; phrase?: string };

const REGISTERED = 'Registered' as RegistererState;
const NONE: BindingOutcome = { binding: 'none' };
/** sip.js keeps these private in its typings; they are what its own dispose() waits on (a REGISTER under way). */
interface Waiting { readonly waiting: boolean; readonly waitingChange: Emitter<boolean> }
const waitingOf = (registerer: Registerer): Waiting => registerer as unknown as Waiting;

const UNANSWERED: BindingOutcome = { binding: 'kept', code: 408, phrase: 'no final answer in time' };

/** A bound on the clock that can be brought forward (a shutdown during an admin's delete); `passed` resolves when it runs out. */
export class Deadline {
  readonly passed: Promise<void>;
  readonly #clock: Clock;
  #resolve!: () => void;
  #timer?: NodeJS.Timeout;
  #at: number;

  constructor(clock: Clock, ms: number) {
    this.#clock = clock;
    this.#at = clock.now() + ms;
    this.passed = new Promise((resolve) => { this.#resolve = resolve; });
    this.#arm(ms);
  }

  /** Runs out `ms` from now if that is sooner than its end. */
  shorten(ms: number): void {
    if (this.#timer === undefined || this.#clock.now() + ms >= this.#at) return;
    this.#at = this.#clock.now() + ms;
    this.clear();
    this.#arm(ms);
  }

  /**
   * `work`'s value, wrapped, or undefined when the deadline runs out first — wrapped so that work whose value is
   * undefined (a Promise<void>) is not taken for a deadline that passed (review s29 #1).
   */
  race<T>(work: Promise<T>): Promise<{ value: T } | undefined> {
    return Promise.race([work.then((value) => ({ value })), this.passed.then(() => undefined)]);
  }

  clear(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(ms: number): void {
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#resolve();
    }, ms);
  }
}

/**
 * Sends the un-REGISTER of `registerer` when it is registered — after a refresh under way settled — and resolves
 * with its outcome, or `kept` 408 when `deadline` runs out first (the caller then ends the transactions still open).
 * Not registered, nothing is sent: a first REGISTER still unanswered is the caller's to end at once (a registrar
 * that never answered must not hold an admin's change for Timer F). The registerer is not disposed here.
 */
export async function unregisterBinding(registerer: Registerer | undefined, deadline: Deadline): Promise<BindingOutcome> {
  if (!registerer) return NONE;
  const registered = () => registerer.state === REGISTERED;
  if (waitingOf(registerer).waiting && registered()) {
    // A refresh under way: its final answer first (RFC 3261 §10.2: one REGISTER at a time), then the un-REGISTER.
    // (Its settling has no value: it once resolved undefined, taken for the deadline, and no un-REGISTER went out.)
    if (!await deadline.race(settled(registerer))) return UNANSWERED;
  }
  if (!registered()) return NONE;
  return (await deadline.race(unregisterAnswer(registerer)))?.value ?? UNANSWERED;
}

/** Resolves once the registerer's REGISTER under way has its final answer (or ended by Timer F). */
function settled(registerer: Registerer): Promise<void> {
  const { waitingChange } = waitingOf(registerer);
  return new Promise((resolve) => {
    const listener = (waiting: boolean) => {
      if (waiting) return;
      waitingChange.removeListener(listener);
      resolve();
    };
    waitingChange.addListener(listener);
  });
}

/** The un-REGISTER's final answer (after sip.js answered a challenge) as an outcome; a send refused at once is `kept` too. */
function unregisterAnswer(registerer: Registerer): Promise<BindingOutcome> {
  return new Promise((resolve) => {
    const kept = (code = 0, phrase?: string) => resolve({ binding: 'kept', code, phrase });
    try {
      registerer.unregister({
        requestDelegate: {
          onAccept: () => resolve({ binding: 'removed' }),
          onReject: (response) => kept(response.message.statusCode, response.message.reasonPhrase),
          onRedirect: (response) => kept(response.message.statusCode, response.message.reasonPhrase),
        },
      }).catch((error: unknown) => kept(0, String(error)));
    } catch (error) {
      kept(0, String(error));
    }
  });
}
