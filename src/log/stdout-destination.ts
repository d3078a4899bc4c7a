// The gateway's log destination on fd 1: a line goes into the pipe or socket at once when it has room (so a
// line logged just before process.exit is not lost), never waits for a slow or stopped reader (journald under
// pressure, a paused `| less`, a stuck container log driver), and keeps what does not fit in a bounded buffer
// that is retried on a timer. Lines that do not fit in the buffer either are dropped and counted; once the
// reader has taken everything, one warning line says how many. At exit the buffer is written within a bound.
//
// Not sonic-boom (pino.destination): in sync mode it retries a full pipe by sleeping 100 ms in a recursion that
// grows with each retry, blocking the event loop until the reader resumes, or crashing with a RangeError; its
// flushSync waits without bound.
import { writeSync } from 'node:fs';

export interface StdoutDestinationOptions {
  /** 1 (stdout) unless told; must be non-blocking for a pipe or socket (logger.ts: Node makes fd 1 so once process.stdout is touched). */
  fd?: number;
  /** Bytes kept while the reader does not take them; a line beyond is dropped and counted. */
  maxBytes?: number;
  /** How often a full pipe is tried again. */
  retryMs?: number;
  /** How long the exit may wait for a slow reader to take what is buffered. */
  exitFlushMs?: number;
  /** One output line, with its newline, from one pino JSON line (the text format's; JSON as it is otherwise). */
  format?: (json: string) => string;
}

export const STDOUT_BUFFER_BYTES = 4 << 20;

/** The warning's own pino JSON line, in the format of the gateway's (base `service: portier`, level warn). */
export function droppedLine(dropped: number, time = Date.now()): string {
  const msg = `log: ${dropped} lines dropped, the reader of stdout was too slow / ${dropped} Zeilen verworfen, der Leser von stdout war zu langsam`;
  return `${JSON.stringify({ level: 40, time, service: 'portier', dropped, msg })}\n`;
}

const pause = new Int32Array(new SharedArrayBuffer(4));

export class StdoutDestination {
  readonly #fd: number;
  readonly #maxBytes: number;
  readonly #retryMs: number;
  readonly #exitFlushMs: number;
  readonly #format: (json: string) => string;
  readonly #queue: Buffer[] = [];
  #queued = 0;
  #dropped = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #onExit = () => { this.flushSync(); };

  constructor(opts: StdoutDestinationOptions = {}) {
    this.#fd = opts.fd ?? 1;
    this.#maxBytes = opts.maxBytes ?? STDOUT_BUFFER_BYTES;
    this.#retryMs = opts.retryMs ?? 25;
    this.#exitFlushMs = opts.exitFlushMs ?? 2000;
    this.#format = opts.format ?? ((json) => json);
    process.on('exit', this.#onExit);
  }

  /** Lines dropped since the last warning. */
  get dropped(): number {
    return this.#dropped;
  }

  write(json: string): void {
    const data = Buffer.from(this.#format(json));
    if (this.#queued === 0) {
      this.#push(data);
    } else if (this.#queued + data.length > this.#maxBytes) {
      this.#dropped += 1;
    } else {
      this.#queue.push(data);
      this.#queued += data.length;
    }
  }

  /** Writes what the reader takes now, without waiting; the warning once all is taken; a retry if not. */
  #drain(): void {
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!;
      const n = this.#tryWrite(head);
      this.#queued -= n;
      if (n < head.length) {
        this.#queue[0] = head.subarray(n);
        break;
      }
      this.#queue.shift();
    }
    if (this.#queue.length === 0 && this.#dropped > 0) {
      const warning = Buffer.from(this.#format(droppedLine(this.#dropped)));
      this.#dropped = 0;
      this.#push(warning);
    }
    this.#schedule();
  }

  /** Writes `data` into an empty queue: what the reader does not take now (the rest of a line too) waits. */
  #push(data: Buffer): void {
    const n = this.#tryWrite(data);
    if (n < data.length) {
      this.#queue.push(data.subarray(n));
      this.#queued += data.length - n;
    }
    this.#schedule();
  }

  #schedule(): void {
    if (this.#queue.length === 0 || this.#timer) return;
    this.#timer = setTimeout(() => { this.#timer = undefined; this.#drain(); }, this.#retryMs);
    this.#timer.unref();
  }

  /** Bytes written; 0 when the pipe is full. A reader that is gone (EPIPE) or any other error: the bytes are given up. */
  #tryWrite(data: Buffer): number {
    try {
      return writeSync(this.#fd, data);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return 0;
      return data.length;
    }
  }

  /** Writes what is buffered, waiting at most `boundMs` for a slow reader; true when all is written. */
  flushSync(boundMs = this.#exitFlushMs): boolean {
    const deadline = performance.now() + boundMs;
    for (;;) {
      this.#drain();
      if (this.#queue.length === 0 || performance.now() >= deadline) break;
      Atomics.wait(pause, 0, 0, 5);
    }
    return this.#queue.length === 0;
  }

  /** pino's logger.flush(cb). */
  flush(cb?: (err?: Error) => void): void {
    this.flushSync();
    cb?.();
  }

  /** Stops retrying and forgets the exit flush; what is still buffered is written within the bound first. */
  close(): void {
    this.flushSync();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    process.off('exit', this.#onExit);
  }
}
