// The admins' addresses in audit entries (details.from) are personal data kept
// only for audit.address_retention_days: each is sealed (AES-256-GCM) under the
// key of its day, and the retention job deletes a day's key once the day is
// older than that. The entry itself never changes, so the hash chain still
// verifies; what it holds afterwards opens with no key that exists.
import { randomBytes } from 'node:crypto';
import { SecretBox } from '../secrets/index.ts';
import type { Db, Tx } from '../store/index.ts';
import type { KeySealer } from './subject-keys.ts';

/** How a sealed address starts: `ad1:<day>:<enc:v1 value under that day's key>`. */
export const ADDRESS_PREFIX = 'ad1:';
const DAY_MS = 86_400_000;

export const isSealedAddress = (value: unknown): value is string => typeof value === 'string' && value.startsWith(ADDRESS_PREFIX);

export class AddressKeys {
  readonly #db: Db;
  readonly #box: KeySealer;

  constructor(deps: { db: Db; box: KeySealer }) {
    this.#db = deps.db;
    this.#box = deps.box;
  }

  /** Seals `address` under the key of the day of `at`, creating that key in `tx` on first need. */
  async seal(tx: Tx, address: string, at: number): Promise<string> {
    const day = Math.floor(at / DAY_MS);
    const row = await tx.selectFrom('audit_address_keys').select('sealed_key').where('day', '=', day).executeTakeFirst();
    let key: Buffer;
    if (row) key = this.#openKey(row.sealed_key, day);
    else {
      key = randomBytes(32);
      await tx.insertInto('audit_address_keys').values({ day, sealed_key: this.#box.seal(key.toString('base64url')) }).execute();
    }
    return `${ADDRESS_PREFIX}${day}:${new SecretBox({ key, source: `audit address key of day ${day}` }).seal(address)}`;
  }

  /** The addresses behind sealed values; null where the day's key is gone (older than the window). */
  async open(values: Iterable<string>): Promise<Map<string, string | null>> {
    const parsed = [...new Set(values)].map((v) => ({ v, m: /^ad1:(\d+):(.+)$/.exec(v) }));
    const days = [...new Set(parsed.flatMap(({ m }) => (m ? [Number(m[1])] : [])))];
    const keys = new Map<number, SecretBox>();
    if (days.length > 0) {
      for (const r of await this.#db.selectFrom('audit_address_keys').selectAll().where('day', 'in', days).execute()) {
        keys.set(r.day, new SecretBox({ key: this.#openKey(r.sealed_key, r.day), source: `audit address key of day ${r.day}` }));
      }
    }
    const out = new Map<string, string | null>();
    for (const { v, m } of parsed) {
      const box = m ? keys.get(Number(m[1])) : undefined;
      out.set(v, box && m ? box.open(m[2]!, `audit address of day ${m[1]}`).value : null);
    }
    return out;
  }

  /**
   * Deletes the keys of days that ended more than `days` before `now` (an
   * address stays readable at least `days`, at most a day longer); answers how many went.
   */
  async prune(now: number, days: number, tx?: Tx): Promise<number> {
    const firstKept = Math.floor((now - days * DAY_MS) / DAY_MS);
    const r = await (tx ?? this.#db).deleteFrom('audit_address_keys').where('day', '<', firstKept).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /** Seals again under the current master key what a previous one sealed (a rotation, at start); answers how many. */
  async reseal(): Promise<number> {
    let n = 0;
    for (const r of await this.#db.selectFrom('audit_address_keys').selectAll().execute()) {
      const { value, stale } = this.#box.open(r.sealed_key, `audit address key of day ${r.day}`);
      if (!stale) continue;
      await this.#db.updateTable('audit_address_keys').set({ sealed_key: this.#box.seal(value) }).where('day', '=', r.day).execute();
      n++;
    }
    return n;
  }

  #openKey(sealed: string, day: number): Buffer {
    return Buffer.from(this.#box.open(sealed, `audit address key of day ${day}`).value, 'base64url');
  }
}
