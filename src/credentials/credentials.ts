// One credential service for everything that is not a person: terminals, MQTT
// devices and integration API tokens. Secrets are shown once and stored hashed;
// revocation emits a typed event so adapters disconnect the holder at once.
import { randomBytes, randomUUID, createHash, timingSafeEqual } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { Store, Tx, CredentialKind, CredentialTable } from '../store/index.ts';
import { TypedEmitter, NotFoundError, InvalidError, type Clock } from '../core/index.ts';
import type { AuditLog, Actor } from '../audit/index.ts';
import { Sites, type SiteLookup } from '../sites/index.ts';

export interface Credential {
  id: string;
  kind: CredentialKind;
  siteId: string | null;
  doorId: string | null;
  label: string;
  attributes: Record<string, unknown>;
  createdAt: number;
  rotatedAt: number | null;
  revokedAt: number | null;
}

export interface IssuedSecret {
  credential: Credential;
  /** Shown once; only its hash is stored. */
  secret: string;
}

export type CredentialEvents = {
  revoked: [Credential];
  rotated: [Credential];
};

const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');
// Secrets carry the credential id so verification is one indexed lookup.
const makeSecret = (id: string): string => `ptr_${id}_${randomBytes(32).toString('base64url')}`;
const idOf = (secret: string): string | undefined => /^ptr_([0-9a-f-]{36})_[A-Za-z0-9_-]{43}$/.exec(secret)?.[1];

function view(row: Selectable<CredentialTable>): Credential {
  return {
    id: row.id, kind: row.kind, siteId: row.site_id, doorId: row.door_id, label: row.label,
    attributes: JSON.parse(row.attributes) as Record<string, unknown>,
    createdAt: row.created_at, rotatedAt: row.rotated_at, revokedAt: row.revoked_at,
  };
}

export class Credentials extends TypedEmitter<CredentialEvents> {
  readonly #store: Store;
  readonly #audit: AuditLog;
  readonly #clock: Clock;
  readonly #sites: Pick<SiteLookup, 'siteOfDoor' | 'exists'>;

  /** sites: which site a door is on (the gateway passes its Sites). */
  constructor(deps: { store: Store; audit: AuditLog; clock: Clock; sites?: Pick<SiteLookup, 'siteOfDoor' | 'exists'> }) {
    super();
    this.#store = deps.store;
    this.#audit = deps.audit;
    this.#clock = deps.clock;
    this.#sites = deps.sites ?? new Sites(deps);
  }

  /** Issues a secret (shown once). Pass `tx` to make it part of a larger write (a device row, a pairing code). */
  async issue(actor: Actor, input: {
    kind: CredentialKind; label: string; siteId?: string | null; doorId?: string | null; attributes?: Record<string, unknown>;
  }, tx?: Tx): Promise<IssuedSecret> {
    if (input.kind !== 'api-token' && input.kind !== 'probe' && !input.siteId) throw new InvalidError(`a ${input.kind} belongs to a site`);
    const id = randomUUID();
    const secret = makeSecret(id);
    const write = async (t: Tx): Promise<Credential> => {
      if (input.doorId) {
        if ((await this.#sites.siteOfDoor(input.doorId, t)) !== input.siteId) throw new InvalidError('door does not exist on that site');
      }
      await t.insertInto('credentials').values({
        id, kind: input.kind, site_id: input.siteId ?? null, door_id: input.doorId ?? null, label: input.label,
        attributes: JSON.stringify(input.attributes ?? {}), secret_hash: hashSecret(secret),
        created_at: this.#clock.now(), rotated_at: null, revoked_at: null,
      }).execute();
      await this.#audit.append({ actor, action: 'credential.issue', target: { type: input.kind, id }, outcome: 'ok', siteId: input.siteId ?? null }, t);
      return view(await t.selectFrom('credentials').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
    };
    const credential = tx ? await write(tx) : await this.#store.transaction(write);
    return { credential, secret };
  }

  /**
   * The synthetic probe's secret for this run: its one credential rotated (or issued
   * the first time), so the secret lives only in this process's memory.
   */
  async renewProbe(): Promise<IssuedSecret> {
    const actor: Actor = { type: 'system', id: null };
    const current = (await this.list('probe')).find((c) => c.revokedAt === null);
    return current ? this.rotate(actor, current.id) : this.issue(actor, { kind: 'probe', label: 'synthetic probe' });
  }

  async get(id: string): Promise<Credential | undefined> {
    const row = await this.#store.db.selectFrom('credentials').selectAll().where('id', '=', id).executeTakeFirst();
    return row && view(row);
  }

  async list(kind?: CredentialKind): Promise<Credential[]> {
    let q = this.#store.db.selectFrom('credentials').selectAll().orderBy('created_at');
    if (kind) q = q.where('kind', '=', kind);
    return (await q.execute()).map(view);
  }

  /** The names of the terminals and devices bound to a door (not revoked), oldest first, read `within` a transaction (a door's deletion). */
  async labelsAtDoor(doorId: string, within: Tx): Promise<string[]> {
    const rows = await within.selectFrom('credentials').select('label').where('door_id', '=', doorId).where('revoked_at', 'is', null).orderBy('created_at').execute();
    return rows.map((r) => r.label);
  }

  /** The credential a secret belongs to, or undefined when unknown, wrong or revoked. */
  async verify(secret: string): Promise<Credential | undefined> {
    const id = idOf(secret);
    if (!id) return undefined;
    const row = await this.#store.db.selectFrom('credentials').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || row.revoked_at !== null) return undefined;
    const a = Buffer.from(row.secret_hash, 'hex');
    const b = Buffer.from(hashSecret(secret), 'hex');
    return timingSafeEqual(a, b) ? view(row) : undefined;
  }

  /**
   * Changes what a terminal or device credential is called and where it belongs (the
   * door must be on the site); its secret stays. Pass `tx` to write it with the caller's row.
   */
  async update(id: string, patch: { label?: string; siteId?: string; doorId?: string | null; attributes?: Record<string, unknown> }, tx?: Tx): Promise<Credential> {
    const write = async (t: Tx): Promise<Credential> => {
      const row = await t.selectFrom('credentials').selectAll().where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
      if (!row) throw new NotFoundError(`no active credential ${id}`, { reason: 'credential.not-found' });
      const siteId = patch.siteId ?? row.site_id;
      const doorId = patch.doorId === undefined ? row.door_id : patch.doorId;
      if (patch.siteId && !(await this.#sites.exists(patch.siteId, t))) throw new NotFoundError(`site ${patch.siteId} not found`, { reason: 'site.not-found', params: { id: patch.siteId } });
      if (doorId && (await this.#sites.siteOfDoor(doorId, t)) !== siteId) {
        throw new InvalidError(`door ${doorId} is not a door of site ${siteId}`, { reason: 'door.not-on-site', params: { site: siteId ?? '' } });
      }
      await t.updateTable('credentials').set({
        label: patch.label ?? row.label, site_id: siteId, door_id: doorId,
        ...(patch.attributes ? { attributes: JSON.stringify(patch.attributes) } : {}),
      }).where('id', '=', id).execute();
      return view(await t.selectFrom('credentials').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
    };
    return tx ? write(tx) : this.#store.transaction(write);
  }

  /** Replaces the secret; the old one stops working at once. */
  async rotate(actor: Actor, id: string): Promise<IssuedSecret> {
    const secret = makeSecret(id);
    await this.#store.transaction(async (tx) => {
      const r = await tx.updateTable('credentials').set({ secret_hash: hashSecret(secret), rotated_at: this.#clock.now() })
        .where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
      if (r.numUpdatedRows === 0n) throw new NotFoundError(`no active credential ${id}`);
      await this.#audit.append({ actor, action: 'credential.rotate', target: { type: 'credential', id }, outcome: 'ok' }, tx);
    });
    const credential = (await this.get(id))!;
    this.safeEmit('rotated', credential);
    return { credential, secret };
  }

  async revoke(actor: Actor, id: string): Promise<Credential> {
    await this.#store.transaction(async (tx) => {
      const r = await tx.updateTable('credentials').set({ revoked_at: this.#clock.now() })
        .where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
      if (r.numUpdatedRows === 0n) throw new NotFoundError(`no active credential ${id}`);
      await this.#audit.append({ actor, action: 'credential.revoke', target: { type: 'credential', id }, outcome: 'ok' }, tx);
    });
    const credential = (await this.get(id))!;
    this.safeEmit('revoked', credential);
    return credential;
  }
}
