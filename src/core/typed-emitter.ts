// EventEmitter whose generic parameter maps each event name to its argument
// tuple (mediasoup's pattern); safeEmit() keeps a throwing listener from
// breaking the emitter.
import { EventEmitter } from 'node:events';

export type EventMap = Record<string, unknown[]>;

export class TypedEmitter<E extends EventMap> {
  readonly #emitter = new EventEmitter({ captureRejections: false });

  on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  once<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#emitter.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  removeAllListeners(): this {
    this.#emitter.removeAllListeners();
    return this;
  }

  listenerCount<K extends keyof E & string>(event: K): number {
    return this.#emitter.listenerCount(event);
  }

  /** Emits to every listener; a listener that throws is reported, not propagated. */
  protected safeEmit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    // rawListeners: a once() listener's wrapper, which removes itself before it calls the listener (listeners()
    // answers the bare function, which kept a once() listener for every later emit).
    const listeners = this.#emitter.rawListeners(event) as Array<(...a: E[K]) => void>;
    for (const listener of listeners) {
      try {
        listener(...args);
      } catch (error) {
        this.onListenerError(String(event), error);
      }
    }
    return listeners.length > 0;
  }

  protected onListenerError(event: string, error: unknown): void {
    // Subclasses with a logger override this; the default keeps the failure visible.
    process.emitWarning(`listener for "${event}" threw: ${String(error)}`);
  }
}
