// Who may take a connection slot and how often one may guess: strangers are
// limited per source address (failed CONNECTs, connections not yet
// authenticated), never per device id, so nobody can lock a door controller out
// by guessing under its name. Per id there is only a bounded slow-down of the
// refusals; a correct secret is always checked and always passes.
import type { Clock } from '../core/index.ts';
import { AttemptWindow } from './limits.ts';

export interface ConnectLimitSettings {
  /** Authenticated connections at most. */
  maxConnections: number;
  /** Connections that have not authenticated yet, from all addresses together. */
  maxPendingConnections: number;
  /** Connections that have not authenticated yet, per source address. */
  maxPendingPerAddress: number;
  /** Successful connects per device per minute (a flapping device waits). */
  connectAttemptsPerMinute: number;
  /** Failed (or unfinished) CONNECTs per source address per minute; beyond: CONNACK 3 unchecked. */
  connectFailuresPerMinute: number;
  /** Longest delay of a refusal for an id that keeps failing (doubles from 100 ms per failure in a minute). */
  connectBackoffMaxMs: number;
}

const WINDOW_MS = 60_000;
const FIRST_DELAY_MS = 100;

export class ConnectGuard {
  readonly #limits: ConnectLimitSettings;
  readonly #clock: Clock;
  readonly #failuresByAddress: AttemptWindow;
  readonly #failuresById: AttemptWindow;
  readonly #connectsByDevice: AttemptWindow;
  readonly #pendingByAddress = new Map<string, number>();
  readonly #delays = new Map<NodeJS.Timeout, () => void>();
  #pending = 0;

  constructor(limits: ConnectLimitSettings, clock: Clock) {
    this.#limits = limits;
    this.#clock = clock;
    this.#failuresByAddress = new AttemptWindow(limits.connectFailuresPerMinute, WINDOW_MS, clock);
    // Only counted, never refused by: the count sets the delay.
    this.#failuresById = new AttemptWindow(Number.MAX_SAFE_INTEGER, WINDOW_MS, clock);
    this.#connectsByDevice = new AttemptWindow(limits.connectAttemptsPerMinute, WINDOW_MS, clock);
  }

  get pending(): number { return this.#pending; }

  /** A new connection from `address`: false when the pending slots (all, or this address's) are taken. */
  open(address: string): boolean {
    const mine = this.#pendingByAddress.get(address) ?? 0;
    if (this.#pending >= this.#limits.maxPendingConnections || mine >= this.#limits.maxPendingPerAddress) return false;
    this.#pending++;
    this.#pendingByAddress.set(address, mine + 1);
    return true;
  }

  /** A pending connection authenticated or closed: its slot is free. */
  settle(address: string): void {
    this.#pending--;
    const mine = (this.#pendingByAddress.get(address) ?? 1) - 1;
    if (mine > 0) this.#pendingByAddress.set(address, mine);
    else this.#pendingByAddress.delete(address);
  }

  /**
   * Counts a CONNECT from `address` as failed before its secret is checked (so
   * parallel guesses cannot outrun the limit); false when the address is over it.
   */
  attempt(address: string): boolean {
    return this.#failuresByAddress.hit(address);
  }

  /** The secret was right: the attempt was not a failure, and the device connected once more. */
  succeeded(address: string, deviceId: string): boolean {
    this.#failuresByAddress.refund(address);
    return this.#connectsByDevice.hit(deviceId);
  }

  /** The secret was wrong for `id`: resolves when the refusal may be sent (bounded back-off per id). */
  failed(id: string | undefined): Promise<void> {
    if (id === undefined || this.#limits.connectBackoffMaxMs <= 0) return Promise.resolve();
    this.#failuresById.hit(id);
    const failures = this.#failuresById.count(id);
    const delay = Math.min(this.#limits.connectBackoffMaxMs, FIRST_DELAY_MS * 2 ** Math.min(failures - 1, 20));
    return new Promise((resolve) => {
      const timer = this.#clock.setTimeout(() => {
        this.#delays.delete(timer);
        resolve();
      }, delay);
      this.#delays.set(timer, resolve);
    });
  }

  /** Sends every delayed refusal now (the broker is closing). */
  close(): void {
    for (const [timer, resolve] of this.#delays) {
      this.#clock.clearTimeout(timer);
      resolve();
    }
    this.#delays.clear();
  }
}
