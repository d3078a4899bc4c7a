// Password hashing with scrypt (memory-hard, in Node's crypto: no native addon),
// through a bounded queue: scrypt runs on libuv's thread pool, which file and
// DNS work share, so at most `concurrency` hashes run at once and at most
// `maxQueued` wait; beyond that a sign-in is refused at once instead of
// delaying everyone.
import { scrypt, randomBytes, timingSafeEqual } from 'node:crypto';
import { RateLimitedError } from '../core/index.ts';
import { MAX_PASSWORD, MIN_PASSWORD } from './password-rules.ts';

const N = 1 << 15;
const R = 8;
const P = 1;
const KEY_LEN = 32;
const MAXMEM = 64 * 1024 * 1024;

/** What accounts need from a password hasher (a test may count or replace it). */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string): Promise<boolean>;
}

export interface HasherLimits {
  /** Hashes computed at once (libuv's pool has 4 threads unless UV_THREADPOOL_SIZE says otherwise). */
  concurrency: number;
  /** Hashes waiting for a turn; more are refused with RateLimitedError. */
  maxQueued: number;
}

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LEN, { N: n, r, p, maxmem: MAXMEM }, (err, key) =>
      err ? reject(err) : resolve(key));
  });
}

export class ScryptHasher implements PasswordHasher {
  readonly #limits: HasherLimits;
  readonly #waiting: Array<() => void> = [];
  #running = 0;
  #computed = 0;

  constructor(limits: HasherLimits) {
    this.#limits = limits;
  }

  /** scrypt derivations started since construction (hashes and verifications). */
  get computed(): number { return this.#computed; }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await this.#derive(password, salt, N, R, P);
    return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
  }

  async verify(password: string, stored: string): Promise<boolean> {
    const [scheme, n, r, p, salt, key] = stored.split('$');
    if (scheme !== 'scrypt' || !n || !r || !p || !salt || !key) return false;
    const expected = Buffer.from(key, 'base64url');
    const actual = await this.#derive(password, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p));
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  async #derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
    if (this.#running >= this.#limits.concurrency) {
      if (this.#waiting.length >= this.#limits.maxQueued) throw new RateLimitedError('too many sign-ins at once; try again in a moment', 1);
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    // A turn handed over by #release keeps #running as it is.
    this.#computed++;
    try {
      return await derive(password, salt, n, r, p);
    } finally {
      this.#release();
    }
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#running--;
  }
}


/** Rules every password must meet; returns the reason it does not (English, and as a reason for the pages), or null. */
export function passwordProblem(password: string): { message: string; reason: string; params: { limit: number } } | null {
  if (password.length < MIN_PASSWORD) return { message: `at least ${MIN_PASSWORD} characters`, reason: 'password.too-short', params: { limit: MIN_PASSWORD } };
  if (password.length > MAX_PASSWORD) return { message: `at most ${MAX_PASSWORD} characters`, reason: 'password.too-long', params: { limit: MAX_PASSWORD } };
  return null;
}
