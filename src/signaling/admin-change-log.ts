// Which admin page sections changed since a point in time: the gap between a page's
// first loads and its live socket's first connect. Every change the /admin namespace
// sends takes the next number of this process's sequence; the page reads the
// sequence's mark before it loads anything (GET /api/auth/me, header
// X-Portier-Change-Seq) and hands it over at its first connect, which then tells it
// the sections changed since (admin-namespace.ts). A mark of another process (a
// restart, or another gateway process behind the same address) cannot be compared:
// the page then refetches every section, as after a reconnect.
import { randomBytes } from 'node:crypto';
import type { AdminChange } from './contract.ts';
import { changeKey } from './admin-changes.ts';

export class AdminChangeLog {
  /** This process's sequence: a mark of another one is not comparable. */
  readonly #epoch = randomBytes(6).toString('base64url');
  #seq = 0;
  /** The latest change of each section and site (bounded by sections × sites) with its number. */
  readonly #latest = new Map<string, { change: AdminChange; seq: number }>();

  record(change: AdminChange): void {
    this.#latest.set(changeKey(change), { change, seq: ++this.#seq });
  }

  /** Now, as the page hands it back: `<epoch>.<sequence>`. */
  mark(): string {
    return `${this.#epoch}.${this.#seq}`;
  }

  /** The changes recorded after `mark` (latest per section and site); undefined: not a mark of this process. */
  since(mark: unknown): AdminChange[] | undefined {
    if (typeof mark !== 'string') return undefined;
    const [epoch, seq] = mark.split('.');
    const n = Number(seq);
    if (epoch !== this.#epoch || !Number.isSafeInteger(n) || n < 0 || n > this.#seq) return undefined;
    return [...this.#latest.values()].filter((e) => e.seq > n).map((e) => e.change);
  }
}
