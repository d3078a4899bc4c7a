// The gateway's close() cascade: every started component's closer, kept in start order and run in reverse.
import type { Logger } from 'pino';

export interface Closer {
  name: string;
  close: () => unknown;
}

export class CloseCascade {
  readonly #closers: Closer[] = [];
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Closed before every closer pushed earlier (reverse start order). */
  push(closer: Closer): void {
    this.#closers.push(closer);
  }

  /** Runs each closer once, the last pushed first; a failing one is logged and the next still runs. */
  async closeAll(): Promise<void> {
    for (const { name, close } of this.#closers.reverse()) {
      try {
        await close();
      } catch (error) {
        this.#logger.error({ component: name, err: error }, 'gateway: close failed');
      }
    }
    this.#closers.length = 0;
  }
}
