// unregisterBinding with a registerer of our own: a refresh REGISTER under way is waited
// for, then the un-REGISTER goes out (review s29 #1: the refresh's settling resolved with
// undefined, the value the deadline's race gives when it runs out, so no un-REGISTER was
// ever sent and the outcome was "kept, 408"); a deadline that runs out first still says so.
import { afterEach, describe, expect, it } from 'vitest';
import type { Registerer } from 'sip.js';
import { Deadline, unregisterBinding } from '../../src/sip-bridge/account-unregister.ts';
import { systemClock } from '../../src/core/index.ts';

/** What unregisterBinding reads of a sip.js Registerer: its state, its REGISTER under way and unregister(). */
class FakeRegisterer {
  state = 'Registered';
  waiting = true;
  unregisters = 0;
  readonly #listeners = new Set<(waiting: boolean) => void>();
  readonly waitingChange = {
    addListener: (listener: (waiting: boolean) => void) => { this.#listeners.add(listener); },
    removeListener: (listener: (waiting: boolean) => void) => { this.#listeners.delete(listener); },
  };

  /** The REGISTER under way got its final answer; `state` is what that left. */
  settle(state: string): void {
    this.state = state;
    this.waiting = false;
    for (const listener of [...this.#listeners]) listener(false);
  }

  unregister(options: { requestDelegate: { onAccept: () => void } }): Promise<void> {
    this.unregisters += 1;
    setImmediate(() => options.requestDelegate.onAccept());
    return Promise.resolve();
  }

  get asRegisterer(): Registerer { return this as unknown as Registerer; }
}

describe('unregisterBinding while a refresh REGISTER is under way', () => {
  let deadline: Deadline | undefined;
  afterEach(() => deadline?.clear());

  it('waits for the refresh\'s final answer, then sends the un-REGISTER: removed', async () => {
    const registerer = new FakeRegisterer();
    deadline = new Deadline(systemClock, 60_000);
    const outcome = unregisterBinding(registerer.asRegisterer, deadline);
    setImmediate(() => registerer.settle('Registered'));
    expect(await outcome).toEqual({ binding: 'removed' });
    expect(registerer.unregisters).toBe(1);
  });

  it('a refresh that left the account unregistered: nothing is sent, no binding', async () => {
    const registerer = new FakeRegisterer();
    deadline = new Deadline(systemClock, 60_000);
    const outcome = unregisterBinding(registerer.asRegisterer, deadline);
    setImmediate(() => registerer.settle('Unregistered'));
    expect(await outcome).toEqual({ binding: 'none' });
    expect(registerer.unregisters).toBe(0);
  });

  it('the deadline runs out before the refresh is answered: kept, 408, and no un-REGISTER', async () => {
    const registerer = new FakeRegisterer();
    deadline = new Deadline(systemClock, 60_000);
    const outcome = unregisterBinding(registerer.asRegisterer, deadline);
    deadline.shorten(0);
    expect(await outcome).toEqual({ binding: 'kept', code: 408, phrase: expect.any(String) });
    expect(registerer.unregisters).toBe(0);
  });
});
