// Per-subject pseudonym keys (crypto-shredding, issue 15): every person
// identifier an audit entry names (a user, a card holder, a phone-book entry, a
// card) is stored as HMAC(its own random key, kind, id). The key is sealed under
// the master key in subject_keys; erasing the person deletes it, after which
// nobody — not even the installation — can link those entries to them again.
import { createHmac, randomBytes } from 'node:crypto';
import { prepareQuery, type Db, type Tx, type PreparedQuery, type NowRunner } from '../store/index.ts';
import type { Clock } from '../core/index.ts';

/** How a pseudonym starts in an audit entry (a clear id never does). */
export const PSEUDONYM_PREFIX = 'ps1:';

/** The identifiers that name a person; each has its own key. */
export const SUBJECT_KEY_KINDS = ['user', 'card-holder', 'phonebook-entry', 'card'] as const;
export type SubjectKeyKind = typeof SUBJECT_KEY_KINDS[number];

export const isSubjectKeyKind = (kind: string): kind is SubjectKeyKind => (SUBJECT_KEY_KINDS as readonly string[]).includes(kind);
export const isPseudonym = (value: unknown): value is string => typeof value === 'string' && value.startsWith(PSEUDONYM_PREFIX);

/** What seals the keys: the secrets port (SecretBox). */
export interface KeySealer {
  seal(plain: string): string;
  open(sealed: string, where: string): { value: string; stale: boolean };
}

/** HMAC(key, kind, id): the one definition for writing and for recomputing. */
export const pseudonymOf = (key: Buffer, kind: string, id: string): string =>
  PSEUDONYM_PREFIX + createHmac('sha256', key).update(`${kind}\u0000${id}`).digest('base64url');

export interface SubjectRef { kind: SubjectKeyKind; id: string }

/** Between an identifier and its key's creation time: the key of an earlier holder of that identifier. */
const ARCHIVED = '\u0000';
/** Most pseudonyms kept in memory (see SubjectKeys.#known); the oldest go first. */
const KNOWN_MAX = 10_000;

/** The store's count of undone writes (Store.rollbacks): what was read or written is known while it stands still. */
export interface KeyHistory {
  readonly rollbacks: number;
}

export class SubjectKeys {
  readonly #db: Db;
  readonly #box: KeySealer;
  readonly #clock: Clock;
  /** The lookup every personal identifier of every append runs: built once. */
  readonly #byId: PreparedQuery<'kind' | 'id', { pseudonym: string; holder: string | null; created_at: number }>;
  /**
   * Pseudonyms already looked up or created, by kind NUL id, with the holder
   * their key belongs to: a card read names the same holder each time, so its
   * append runs no lookup. Good while the store has undone nothing (a
   * rolled-back append may have taken a key it created) and emptied by every
   * shred; without the store's history (`history`) nothing is kept.
   */
  readonly #known = new Map<string, { pseudonym: string; holder: string | null }>();
  #knownAt = -1;
  /** Shreds under way: nothing is kept or used meanwhile. */
  #shredding = 0;
  readonly #history: KeyHistory | undefined;

  /** `history`: the store (Store.rollbacks), so that pseudonyms can be kept in memory. */
  constructor(deps: { db: Db; box: KeySealer; clock: Clock; history?: KeyHistory }) {
    this.#db = deps.db;
    this.#box = deps.box;
    this.#clock = deps.clock;
    this.#history = deps.history;
    this.#byId = prepareQuery((param) => deps.db.selectFrom('subject_keys').select(['pseudonym', 'holder', 'created_at']).where('kind', '=', param('kind')).where('subject_id', '=', param('id')));
  }

  /**
   * The pseudonym of `kind`/`id`, creating its key on first need (in `tx`, so a
   * rolled-back append leaves no key behind). `holder`: the person the
   * identifier belongs to (a card's holder), whose erasure deletes this key too.
   * An identifier that changed hands (a card moved to, or issued again for, another
   * holder) gets a new key: the earlier holder's key stays theirs under an archived
   * id (`id` NUL its creation time), so each holder's erasure shreds exactly their entries.
   */
  async pseudonym(tx: Tx, kind: SubjectKeyKind, id: string, holder: string | null = null): Promise<string> {
    const name = `${kind}${ARCHIVED}${id}`;
    const known = this.#knownNow()?.get(name);
    if (known && (holder === null || known.holder === holder)) return known.pseudonym;
    const { rows: [row] } = await this.#byId.execute(tx, { kind, id });
    if (row && (holder === null || row.holder === holder)) {
      this.#remember(name, row.pseudonym, row.holder);
      return row.pseudonym;
    }
    if (row) {
      await tx.updateTable('subject_keys').set({ subject_id: `${id}${ARCHIVED}${row.created_at}` })
        .where('kind', '=', kind).where('subject_id', '=', id).execute();
    }
    const key = randomBytes(32);
    const pseudonym = pseudonymOf(key, kind, id);
    await tx.insertInto('subject_keys').values({
      kind, subject_id: id, holder, sealed_key: this.#box.seal(key.toString('base64url')), pseudonym, created_at: this.#clock.now(),
    }).execute();
    key.fill(0);
    this.#remember(name, pseudonym, holder);
    return pseudonym;
  }

  /**
   * The pseudonym of `kind`/`id` when its key exists already (as `pseudonym`
   * finds it: kept, or read at once through `run`); undefined when a key would
   * have to be made or archived (use `pseudonym` then).
   */
  pseudonymNow(run: NowRunner, kind: SubjectKeyKind, id: string, holder: string | null = null): string | undefined {
    const name = `${kind}${ARCHIVED}${id}`;
    const known = this.#knownNow()?.get(name);
    if (known && (holder === null || known.holder === holder)) return known.pseudonym;
    const { rows: [row] } = this.#byId.executeNow(run, { kind, id });
    if (!row || (holder !== null && row.holder !== holder)) return undefined;
    this.#remember(name, row.pseudonym, row.holder);
    return row.pseudonym;
  }

  /** The pseudonyms kept, if still good (the store undid nothing since); none without the store's history. */
  #knownNow(): Map<string, { pseudonym: string; holder: string | null }> | undefined {
    if (!this.#history || this.#shredding > 0) return undefined;
    if (this.#history.rollbacks !== this.#knownAt) {
      this.#known.clear();
      this.#knownAt = this.#history.rollbacks;
    }
    return this.#known;
  }

  #remember(name: string, pseudonym: string, holder: string | null): void {
    const known = this.#knownNow();
    if (!known) return;
    known.delete(name);
    if (known.size >= KNOWN_MAX) known.delete(known.keys().next().value!);
    known.set(name, { pseudonym, holder });
  }

  /** The pseudonym of `kind`/`id` while its key exists (no key is created). */
  async find(kind: SubjectKeyKind, id: string, tx?: Tx): Promise<string | undefined> {
    const { rows: [row] } = await this.#byId.execute(tx ?? this.#db, { kind, id });
    return row?.pseudonym;
  }

  /** Every pseudonym of a person: their own identifiers of `kinds` and the identifiers they hold (cards). */
  async ofPerson(id: string, kinds: readonly SubjectKeyKind[], tx?: Tx): Promise<string[]> {
    const rows = await (tx ?? this.#db).selectFrom('subject_keys').select('pseudonym')
      .where((eb) => eb.or([eb.and([eb('kind', 'in', [...kinds]), eb('subject_id', '=', id)]), eb('holder', '=', id)])).execute();
    return rows.map((r) => r.pseudonym);
  }

  /** The subjects behind `pseudonyms` whose keys still exist; an erased one is absent. */
  async resolve(pseudonyms: Iterable<string>, tx?: Tx): Promise<Map<string, SubjectRef>> {
    const wanted = [...new Set(pseudonyms)];
    const found = new Map<string, SubjectRef>();
    for (let i = 0; i < wanted.length; i += 500) {
      const rows = await (tx ?? this.#db).selectFrom('subject_keys').select(['kind', 'subject_id', 'pseudonym'])
        .where('pseudonym', 'in', wanted.slice(i, i + 500)).execute();
      for (const r of rows) if (isSubjectKeyKind(r.kind)) found.set(r.pseudonym, { kind: r.kind, id: r.subject_id.split(ARCHIVED)[0]! });
    }
    return found;
  }

  /**
   * Recomputes the pseudonym of `kind`/`id` under every key that exists (opening
   * each with the master key): what anyone holding the installation could try.
   * Answers the pseudonyms that match a stored one; none after an erasure.
   */
  async recomputeWithEveryKey(kind: SubjectKeyKind, id: string): Promise<string[]> {
    const rows = await this.#db.selectFrom('subject_keys').select(['sealed_key', 'pseudonym']).execute();
    return rows.filter((r) => pseudonymOf(Buffer.from(this.#box.open(r.sealed_key, 'subject_keys').value, 'base64url'), kind, id) === r.pseudonym)
      .map((r) => r.pseudonym);
  }

  /** Seals again under the current master key what a previous one sealed (a rotation, at start); answers how many. */
  async reseal(): Promise<number> {
    let n = 0;
    for (const r of await this.#db.selectFrom('subject_keys').select(['kind', 'subject_id', 'sealed_key']).execute()) {
      const { value, stale } = this.#box.open(r.sealed_key, 'subject_keys');
      if (!stale) continue;
      await this.#db.updateTable('subject_keys').set({ sealed_key: this.#box.seal(value) }).where('kind', '=', r.kind).where('subject_id', '=', r.subject_id).execute();
      n++;
    }
    return n;
  }

  /** Deletes the keys of a person: their own identifiers of `kinds` and the ones they hold. Answers how many went. */
  async shred(id: string, kinds: readonly SubjectKeyKind[], tx?: Tx): Promise<number> {
    // Nothing kept is used from now until the delete is done (appends may run while it waits for its commit).
    this.#shredding++;
    this.#known.clear();
    try {
      const r = await (tx ?? this.#db).deleteFrom('subject_keys')
        .where((eb) => eb.or([eb.and([eb('kind', 'in', [...kinds]), eb('subject_id', '=', id)]), eb('holder', '=', id)])).executeTakeFirst();
      return Number(r.numDeletedRows);
    } finally {
      this.#shredding--;
      this.#known.clear();
    }
  }
}
