// Flood limits: message rate per device (token bucket), sliding windows of
// attempts per key (connects, failures), and a packet-size guard that watches a
// connection's bytes and cuts it before an oversized packet is buffered.
import type { Duplex } from 'node:stream';
import type { Clock } from '../core/index.ts';

/** Token bucket per key: `rate` messages per second, bursts up to `burst`. */
export class RateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #clock: Clock;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(rate: number, burst: number, clock: Clock) {
    this.#rate = rate;
    this.#burst = burst;
    this.#clock = clock;
  }

  take(key: string): boolean {
    const now = this.#clock.now();
    let b = this.#buckets.get(key);
    if (b === undefined) {
      b = { tokens: this.#burst, at: now };
      this.#buckets.set(key, b);
    }
    b.tokens = Math.min(this.#burst, b.tokens + ((now - b.at) / 1000) * this.#rate);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  forget(key: string): void {
    this.#buckets.delete(key);
  }
}

/** At most `max` events per key in any `windowMs`. Keys are bounded to stop memory floods. */
export class AttemptWindow {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #clock: Clock;
  readonly #attempts = new Map<string, number[]>();
  static readonly MAX_KEYS = 10_000;

  constructor(max: number, windowMs: number, clock: Clock) {
    this.#max = max;
    this.#windowMs = windowMs;
    this.#clock = clock;
  }

  /** Records an attempt; false when the key is over its limit. */
  hit(key: string): boolean {
    const now = this.#clock.now();
    const recent = (this.#attempts.get(key) ?? []).filter((t) => now - t < this.#windowMs);
    if (recent.length >= this.#max) {
      this.#attempts.set(key, recent);
      return false;
    }
    recent.push(now);
    if (!this.#attempts.has(key) && this.#attempts.size >= AttemptWindow.MAX_KEYS) {
      const oldest = this.#attempts.keys().next().value;
      if (oldest !== undefined) this.#attempts.delete(oldest);
    }
    this.#attempts.set(key, recent);
    return true;
  }

  /** Attempts of `key` in the current window. */
  count(key: string): number {
    const now = this.#clock.now();
    return (this.#attempts.get(key) ?? []).filter((t) => now - t < this.#windowMs).length;
  }

  /** Takes back the latest attempt of `key` (it turned out not to count). */
  refund(key: string): void {
    const recent = this.#attempts.get(key);
    recent?.pop();
    if (recent?.length === 0) this.#attempts.delete(key);
  }
}

/**
 * Watches the bytes the broker reads from `conn` (a 'data' listener sees every
 * chunk that `read()` returns, before the MQTT parser gets it) and destroys the
 * connection as soon as a fixed header announces a packet over `maxBytes`.
 */
export function guardPacketSize(conn: Duplex, maxBytes: number, onOversize: (size: number) => void): void {
  let stage: 'type' | 'length' | 'body' = 'type';
  let length = 0;
  let multiplier = 1;
  let remaining = 0;
  conn.on('data', (chunk: Buffer) => {
    let i = 0;
    while (i < chunk.length) {
      if (stage === 'body') {
        const skip = Math.min(remaining, chunk.length - i);
        remaining -= skip;
        i += skip;
        if (remaining === 0) stage = 'type';
        continue;
      }
      const byte = chunk[i++]!;
      if (stage === 'type') {
        stage = 'length';
        length = 0;
        multiplier = 1;
        continue;
      }
      length += (byte & 0x7f) * multiplier;
      multiplier *= 128;
      if ((byte & 0x80) !== 0 && multiplier <= 128 ** 3) continue;
      if (length > maxBytes) {
        onOversize(length);
        conn.destroy();
        return;
      }
      remaining = length;
      stage = remaining === 0 ? 'type' : 'body';
    }
  });
}
