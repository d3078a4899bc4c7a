// What an audit entry stores instead of a person's identifiers, and how an
// entry is shown again: person ids (actor user, targets user / card-holder /
// phone-book entry / card, and the details holder, colleague, entryId) become
// pseudonyms under per-subject keys; the admin's address (details.from) is
// sealed under its day's key. The chain hashes the stored form, so erasing a
// key or dropping an old address never changes an entry.
import type { Tx, NowRunner } from '../store/index.ts';
import { isPseudonym, isSubjectKeyKind, type SubjectKeyKind, type SubjectKeys } from './subject-keys.ts';
import { isSealedAddress, type AddressKeys } from './address-keys.ts';

/** Detail fields that hold a person's id, and whose id it is. */
export const PERSONAL_DETAILS: Readonly<Record<string, SubjectKeyKind>> = { holder: 'card-holder', colleague: 'user', entryId: 'phonebook-entry' };

/** The person-naming fields of an entry as appended (before pseudonymisation). */
export interface ClearFields {
  actor: { type: string; id: string | null };
  target?: { type: string; id: string; holder?: string | null };
  details?: Record<string, unknown>;
}

export interface StoredFields { actor_id: string | null; target_id: string | null; details: Record<string, unknown> | undefined }

/** A stored entry as shown: ids and addresses opened while their keys exist. */
export interface RevealedFields {
  actor_id: string | null;
  target_id: string | null;
  details: string | null;
  /** The actor was a person who has been erased (their key is gone). */
  actor_erased: boolean;
  target_erased: boolean;
}

export class AuditPseudonyms {
  readonly #keys: SubjectKeys;
  readonly #addresses: AddressKeys | undefined;

  constructor(deps: { keys: SubjectKeys; addresses?: AddressKeys }) {
    this.#keys = deps.keys;
    this.#addresses = deps.addresses;
  }

  get keys(): SubjectKeys { return this.#keys; }
  get addresses(): AddressKeys | undefined { return this.#addresses; }

  async store(entry: ClearFields, at: number, tx: Tx): Promise<StoredFields> {
    const { actor, target } = entry;
    const actorId = actor.type === 'user' && actor.id !== null ? await this.#keys.pseudonym(tx, 'user', actor.id) : actor.id;
    const targetId = target && isSubjectKeyKind(target.type) ? await this.#keys.pseudonym(tx, target.type, target.id, target.holder ?? null) : target?.id ?? null;
    let details = entry.details;
    if (details) {
      details = { ...details };
      for (const [field, kind] of Object.entries(PERSONAL_DETAILS)) {
        const v = details[field];
        if (typeof v === 'string' && !isPseudonym(v)) details[field] = await this.#keys.pseudonym(tx, kind, v);
      }
      if (this.#addresses && typeof details.from === 'string' && !isSealedAddress(details.from)) details.from = await this.#addresses.seal(tx, details.from, at);
    }
    return { actor_id: actorId, target_id: targetId, details };
  }

  /**
   * What `store` answers, at once through `run`, when every key it needs exists
   * and no address is to be sealed; undefined otherwise (use `store` then).
   */
  storeNow(entry: ClearFields, run: NowRunner): StoredFields | undefined {
    const { actor, target } = entry;
    let actorId = actor.id;
    if (actor.type === 'user' && actor.id !== null) {
      actorId = this.#keys.pseudonymNow(run, 'user', actor.id) ?? null;
      if (actorId === null) return undefined;
    }
    let targetId = target?.id ?? null;
    if (target && isSubjectKeyKind(target.type)) {
      targetId = this.#keys.pseudonymNow(run, target.type, target.id, target.holder ?? null) ?? null;
      if (targetId === null) return undefined;
    }
    let details = entry.details;
    if (details) {
      details = { ...details };
      for (const [field, kind] of Object.entries(PERSONAL_DETAILS)) {
        const v = details[field];
        if (typeof v !== 'string' || isPseudonym(v)) continue;
        const pseudonym = this.#keys.pseudonymNow(run, kind, v);
        if (pseudonym === undefined) return undefined;
        details[field] = pseudonym;
      }
      if (this.#addresses && typeof details.from === 'string' && !isSealedAddress(details.from)) return undefined;
    }
    return { actor_id: actorId, target_id: targetId, details };
  }

  /** Opens what can still be opened; an erased person shows as erased, an address past its window as null (fromExpired). */
  async reveal<R extends { actor_id: string | null; target_id: string | null; details: string | null }>(rows: readonly R[]): Promise<Array<R & RevealedFields>> {
    const parsed = rows.map((r) => (r.details ? JSON.parse(r.details) as Record<string, unknown> : null));
    const pseudonyms: string[] = [];
    const addresses: string[] = [];
    rows.forEach((r, i) => {
      for (const v of [r.actor_id, r.target_id, ...Object.keys(PERSONAL_DETAILS).map((f) => parsed[i]?.[f])]) if (isPseudonym(v)) pseudonyms.push(v);
      if (isSealedAddress(parsed[i]?.from)) addresses.push(parsed[i]!.from as string);
    });
    const subjects = await this.#keys.resolve(pseudonyms);
    const opened = this.#addresses && addresses.length > 0 ? await this.#addresses.open(addresses) : new Map<string, string | null>();
    const open = (v: string | null): string | null => (isPseudonym(v) ? subjects.get(v)?.id ?? null : v);
    const erased = (v: string | null): boolean => isPseudonym(v) && !subjects.has(v);
    return rows.map((r, i) => {
      const d = parsed[i];
      if (d) {
        const gone = Object.keys(PERSONAL_DETAILS).filter((f) => erased(d[f] as string | null));
        for (const f of Object.keys(PERSONAL_DETAILS)) if (isPseudonym(d[f])) d[f] = open(d[f] as string);
        if (gone.length > 0) d.erased = gone;
        if (isSealedAddress(d.from)) {
          const address = opened.get(d.from) ?? null;
          d.from = address;
          if (address === null) d.fromExpired = true;
        }
      }
      return {
        ...r, actor_id: open(r.actor_id), target_id: open(r.target_id), details: d ? JSON.stringify(d) : null,
        actor_erased: erased(r.actor_id), target_erased: erased(r.target_id),
      };
    });
  }
}
