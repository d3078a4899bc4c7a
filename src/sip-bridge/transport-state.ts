// The state sip.js reads off a transport (state, stateChange, isConnected) and its transitions,
// for the UDP and the stream transports alike; connect() starts here, with sip.js's parser.
// Types only: sip.js (~18 MiB) is loaded by the first account that starts, not by a gateway without SIP.
import type { Emitter, TransportState } from 'sip.js';

/** The callbacks sip.js sets on a transport: told on entering Connected and Disconnected. */
export interface TransportCallbacks {
  readonly onConnect: (() => void) | undefined;
  readonly onDisconnect: ((error?: Error) => void) | undefined;
}

/** A transport's states (sip.js's TransportState enum by value: the enum would load sip.js with this module). */
export type TransportStateName = 'Connecting' | 'Connected' | 'Disconnecting' | 'Disconnected';

/** Whether sip.js's parser reads a received message (what it cannot parse is answered 400 by the transport). */
export type ParsesSip = (text: string) => boolean;

export class TransportStateMachine {
  readonly #callbacks: TransportCallbacks;
  readonly #stateChange = new StateEmitter();
  #state: TransportState = 'Disconnected' as TransportState;

  /** `callbacks`: the transport itself, whose onConnect/onDisconnect sip.js sets after construction. */
  constructor(callbacks: TransportCallbacks) {
    this.#callbacks = callbacks;
  }

  get state(): TransportState { return this.#state; }
  get stateChange(): Emitter<TransportState> { return this.#stateChange; }
  isConnected(): boolean { return this.#state === 'Connected'; }

  transition(state: TransportStateName, error?: Error): void {
    if (this.#state === state) return;
    this.#state = state as TransportState;
    this.#stateChange.emit(this.#state);
    if (state === 'Connected') this.#callbacks.onConnect?.();
    if (state === 'Disconnected') this.#callbacks.onDisconnect?.(error);
  }

  /** connect()'s start: Connecting, then sip.js's parser (loaded with the first transport that connects). */
  async connecting(): Promise<ParsesSip> {
    this.transition('Connecting');
    const { Core } = await import('sip.js');
    return (text) => Core.Parser.parseMessage(text, SILENT) !== undefined;
  }
}

/** sip.js's Emitter for the transport's state (its EmitterImpl would load sip.js with this module). */
class StateEmitter implements Emitter<TransportState> {
  readonly #listeners: Array<{ fn: (state: TransportState) => void; once: boolean }> = [];
  addListener(fn: (state: TransportState) => void, options?: { once?: boolean }): void { this.#listeners.push({ fn, once: options?.once ?? false }); }
  removeListener(fn: (state: TransportState) => void): void {
    const i = this.#listeners.findIndex((l) => l.fn === fn);
    if (i >= 0) this.#listeners.splice(i, 1);
  }
  on(fn: (state: TransportState) => void): void { this.addListener(fn); }
  off(fn: (state: TransportState) => void): void { this.removeListener(fn); }
  once(fn: (state: TransportState) => void): void { this.addListener(fn, { once: true }); }
  emit(state: TransportState): void {
    for (const l of [...this.#listeners]) {
      if (l.once) this.removeListener(l.fn);
      l.fn(state);
    }
  }
}

const SILENT = { error: () => {}, warn: () => {}, log: () => {}, debug: () => {} } as unknown as Parameters<typeof import('sip.js').Core.Parser.parseMessage>[1];
