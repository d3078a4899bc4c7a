// Device identities: a device is a credential of kind 'device' (secret shown
// once, rotatable, revocable) plus its row here (kind, site, door, terminal).
import type { SiteLookup } from '../sites/index.ts';
import type { Kysely, Selectable } from 'kysely';
import type { Store } from '../store/index.ts';
import type { Credentials, IssuedSecret } from '../credentials/index.ts';
import type { Actor, AuditLog } from '../audit/index.ts';
import { ConflictError, InvalidError, NotFoundError, type Clock } from '../core/index.ts';
import type { DeviceHubTables, HubTables, DeviceKind, DeviceTable } from './tables.ts';
import type { DeviceIdentity } from './topics.ts';

export const DEVICE_KINDS: readonly DeviceKind[] = ['card-reader', 'door', 'panel', 'sensor', 'display'];
const DEVICE_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const CREDENTIAL_SHAPED = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Credential ids are UUIDs and are the MQTT client ids of integrations; a
 * device id shaped like one could take over an integration's session.
 */
export const isCredentialShaped = (id: string): boolean => CREDENTIAL_SHAPED.test(id);

export interface Device extends DeviceIdentity {
  credentialId: string;
  terminalId: string | null;
  label: string;
  createdAt: number;
  lastSeenAt: number | null;
  revoked: boolean;
}

export interface RegisterDevice {
  id: string;
  kind: DeviceKind;
  siteId: string;
  doorId?: string | null;
  terminalId?: string | null;
  label?: string;
}

/** What an admin may change of a device (its id is its MQTT client id and stays). */
export interface DevicePatch {
  label?: string;
  kind?: DeviceKind;
  siteId?: string;
  doorId?: string | null;
}

export class Devices {
  readonly #db: Kysely<HubTables>;
  readonly #store: Store;
  readonly #credentials: Credentials;
  readonly #clock: Clock;
  readonly #sites: Pick<SiteLookup, 'siteOfDoor'>;
  readonly #audit: AuditLog;

  constructor(deps: { store: Store; credentials: Credentials; clock: Clock; sites: Pick<SiteLookup, 'siteOfDoor'>; audit: AuditLog }) {
    this.#sites = deps.sites;
    this.#audit = deps.audit;
    this.#store = deps.store;
    this.#db = deps.store.db.withTables<DeviceHubTables>();
    this.#credentials = deps.credentials;
    this.#clock = deps.clock;
  }

  /** Registers a device; the returned secret is shown once. */
  async register(actor: Actor, input: RegisterDevice): Promise<{ device: Device; secret: string }> {
    if (!DEVICE_ID.test(input.id) || input.id === 'doors') throw new InvalidError('device id: lower-case letters, digits and -, up to 63 (not "doors")', { reason: 'device.id-format' });
    if (isCredentialShaped(input.id)) throw new InvalidError('device id: must not have the shape of a UUID (those are credential ids)', { reason: 'device.id-uuid' });
    if (!DEVICE_KINDS.includes(input.kind)) throw new InvalidError(`device kind must be one of ${DEVICE_KINDS.join(', ')}`);
    if ((input.kind === 'door' || input.kind === 'panel') && !input.doorId) throw new InvalidError(`a ${input.kind} device controls a door: doorId is required`, { reason: 'device.door-required' });
    if (await this.#db.selectFrom('devices').select('id').where('id', '=', input.id).executeTakeFirst()) {
      throw new ConflictError(`device ${input.id} exists`, { reason: 'device.exists', params: { id: input.id } });
    }
    await this.#onSite(input);
    // The credential and the device row are one write: a failure leaves neither behind.
    const issued: IssuedSecret = await this.#store.transaction(async (tx) => {
      const secret = await this.#credentials.issue(actor, {
        kind: 'device', label: input.label ?? input.id, siteId: input.siteId, doorId: input.doorId ?? null,
        attributes: { deviceKind: input.kind, deviceId: input.id },
      }, tx);
      await tx.withTables<DeviceHubTables>().insertInto('devices').values({
        id: input.id, credential_id: secret.credential.id, kind: input.kind, site_id: input.siteId,
        door_id: input.doorId ?? null, terminal_id: input.terminalId ?? null, label: input.label ?? input.id,
        created_at: this.#clock.now(), last_seen_at: null,
      }).execute().catch((error: unknown) => {
        // Two registrations of one id at once: the second loses here and leaves nothing behind.
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new ConflictError(`device ${input.id} exists`, { reason: 'device.exists', params: { id: input.id } });
        throw error;
      });
      return secret;
    });
    return { device: (await this.get(input.id))!, secret: issued.secret };
  }

  /**
   * A device acts only on its own site: its door and its terminal must be of
   * that site. Unknown and foreign ids get the same answer (no probing of other sites).
   */
  async #onSite(input: RegisterDevice): Promise<void> {
    if (input.doorId) {
      if ((await this.#sites.siteOfDoor(input.doorId)) !== input.siteId) throw new InvalidError(`doorId: door ${input.doorId} is not a door of site ${input.siteId}`);
    }
    if (input.terminalId) {
      const terminal = await this.#credentials.get(input.terminalId);
      if (terminal?.kind !== 'terminal' || terminal.siteId !== input.siteId) {
        throw new InvalidError(`terminalId: terminal ${input.terminalId} is not a terminal of site ${input.siteId}`);
      }
    }
  }

  async get(id: string): Promise<Device | undefined> {
    const row = await this.#db.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirst();
    return row && this.#view(row);
  }

  async require(id: string): Promise<Device> {
    const device = await this.get(id);
    if (!device) throw new NotFoundError(`device ${id} not found`, { reason: 'device.not-found', params: { id } });
    return device;
  }

  async byCredential(credentialId: string): Promise<Device | undefined> {
    const row = await this.#db.selectFrom('devices').selectAll().where('credential_id', '=', credentialId).executeTakeFirst();
    return row && this.#view(row);
  }

  async list(siteId?: string): Promise<Device[]> {
    let q = this.#db.selectFrom('devices').selectAll().orderBy('site_id').orderBy('id');
    if (siteId) q = q.where('site_id', '=', siteId);
    return Promise.all((await q.execute()).map((r) => this.#view(r)));
  }

  /** Controllers (door or panel devices) of a door. */
  async controllersOf(doorId: string): Promise<string[]> {
    const rows = await this.#db.selectFrom('devices').select('id').where('door_id', '=', doorId)
      .where('kind', 'in', ['door', 'panel']).execute();
    return rows.map((r) => r.id);
  }

  /**
   * The device a username/password pair belongs to; undefined when the secret
   * is wrong or revoked, or the username is neither the device id nor its credential id.
   */
  async authenticate(username: string, password: string): Promise<Device | undefined> {
    const credential = await this.#credentials.verify(password);
    if (!credential || credential.kind !== 'device') return undefined;
    const device = await this.byCredential(credential.id);
    if (!device || (username !== device.id && username !== credential.id)) return undefined;
    return device;
  }

  async rotate(actor: Actor, id: string): Promise<{ device: Device; secret: string }> {
    const device = await this.require(id);
    const issued = await this.#credentials.rotate(actor, device.credentialId);
    return { device, secret: issued.secret };
  }

  async revoke(actor: Actor, id: string): Promise<Device> {
    const device = await this.require(id);
    await this.#credentials.revoke(actor, device.credentialId);
    return { ...device, revoked: true };
  }

  /**
   * Renames a device, changes its kind or moves it to another site or door; its
   * secret and id stay. A door or panel keeps a door of its (new) site; a move
   * drops its terminal. Audited with the fields changed. `identityChanged`: what
   * its MQTT session was admitted as (kind, site, door) is no longer true.
   */
  async update(actor: Actor, id: string, patch: DevicePatch): Promise<{ device: Device; identityChanged: boolean }> {
    const before = await this.require(id);
    if (before.revoked) throw new NotFoundError(`device ${id} not found`, { reason: 'device.not-found', params: { id } });
    const kind = patch.kind ?? before.kind;
    const siteId = patch.siteId ?? before.siteId;
    const doorId = patch.doorId === undefined ? (siteId === before.siteId ? before.doorId : null) : patch.doorId;
    if (!DEVICE_KINDS.includes(kind as DeviceKind)) throw new InvalidError(`device kind must be one of ${DEVICE_KINDS.join(', ')}`);
    if ((kind === 'door' || kind === 'panel') && !doorId) throw new InvalidError(`a ${kind} device controls a door: doorId is required`, { reason: 'device.door-required' });
    const terminalId = siteId === before.siteId ? before.terminalId : null;
    const label = patch.label ?? before.label;
    await this.#store.transaction(async (tx) => {
      await this.#credentials.update(before.credentialId, { label, siteId, doorId, attributes: { deviceKind: kind, deviceId: id } }, tx);
      const r = await tx.withTables<DeviceHubTables>().updateTable('devices')
        .set({ kind: kind as DeviceKind, site_id: siteId, door_id: doorId, terminal_id: terminalId, label }).where('id', '=', id).executeTakeFirst();
      if (r.numUpdatedRows === 0n) throw new NotFoundError(`device ${id} not found`, { reason: 'device.not-found', params: { id } });
      await this.#audit.append({
        actor, action: 'device.update', target: { type: 'device', id }, outcome: 'ok', siteId,
        details: { fields: Object.keys(patch).sort(), ...(siteId !== before.siteId ? { fromSite: before.siteId } : {}) },
      }, tx);
    });
    const device = await this.require(id);
    return { device, identityChanged: kind !== before.kind || siteId !== before.siteId || doorId !== before.doorId };
  }

  /**
   * Deletes a device: its credential is revoked (kept, revoked, for the audit
   * trail) and its row goes, so the id can be registered again. Audited.
   */
  async remove(actor: Actor, id: string): Promise<Device> {
    const device = await this.get(id);
    if (!device) throw new NotFoundError(`device ${id} not found`, { reason: 'device.not-found', params: { id } });
    if (!device.revoked) await this.#credentials.revoke(actor, device.credentialId).catch((error: unknown) => {
      // Revoked meanwhile (a second admin): the delete still goes on.
      if (!(error instanceof NotFoundError)) throw error;
    });
    await this.#store.transaction(async (tx) => {
      const r = await tx.withTables<DeviceHubTables>().deleteFrom('devices').where('id', '=', id).executeTakeFirst();
      if (r.numDeletedRows === 0n) throw new NotFoundError(`device ${id} not found`, { reason: 'device.not-found', params: { id } });
      await this.#audit.append({ actor, action: 'device.delete', target: { type: 'device', id }, outcome: 'ok', siteId: device.siteId }, tx);
    });
    return { ...device, revoked: true };
  }

  async touch(id: string): Promise<void> {
    await this.#db.updateTable('devices').set({ last_seen_at: this.#clock.now() }).where('id', '=', id).execute();
  }


  async #view(row: Selectable<DeviceTable>): Promise<Device> {
    const credential = await this.#credentials.get(row.credential_id);
    return {
      id: row.id, kind: row.kind, siteId: row.site_id, doorId: row.door_id, credentialId: row.credential_id,
      terminalId: row.terminal_id, label: row.label, createdAt: row.created_at, lastSeenAt: row.last_seen_at,
      revoked: !credential || credential.revokedAt !== null,
    };
  }
}
