// Enrolling lobby terminals without typing secrets into a kiosk: the admin
// creates the terminal and gets a short-lived pairing code; the kiosk enters it
// once and receives the terminal's long-lived secret in an HttpOnly cookie.
import { randomInt, createHash } from 'node:crypto';
import type { Store, Tx } from '../store/index.ts';
import type { Credentials, Credential } from '../credentials/index.ts';
import type { AuditLog, Actor } from '../audit/index.ts';
import { InvalidError, NotFoundError, TypedEmitter, type Clock } from '../core/index.ts';

type PairingRow = { code_hash: string; terminal_id: string; expires_at: number; used_at: number | null };
type PairingTables = { pairing_codes: PairingRow };

const hash = (code: string) => createHash('sha256').update(code.replace(/\D/g, '')).digest('hex');

export interface PairingCode {
  terminalId: string;
  /** 8 digits shown as 1234-5678 (and as a QR code on the admin page). */
  code: string;
  expiresAt: number;
}

export type EnrolmentEvents = {
  paired: [Credential];
  /** A pairing code that does not pair (unknown, used or expired). */
  refused: [{ reason: 'unknown' | 'used-or-expired' }];
};

export class TerminalEnrolment extends TypedEmitter<EnrolmentEvents> {
  readonly #store: Store;
  readonly #credentials: Credentials;
  readonly #audit: AuditLog;
  readonly #clock: Clock;
  readonly #ttlMs: number;

  constructor(deps: { store: Store; credentials: Credentials; audit: AuditLog; clock: Clock; codeTtlMs: number }) {
    super();
    this.#store = deps.store;
    this.#credentials = deps.credentials;
    this.#audit = deps.audit;
    this.#clock = deps.clock;
    this.#ttlMs = deps.codeTtlMs;
  }

  get #db() { return this.#store.db.withTables<PairingTables>(); }

  /** Creates a terminal bound to a site (and optionally a door) and its first pairing code, in one write. */
  async create(actor: Actor, input: { name: string; siteId: string; doorId?: string | null }): Promise<{ terminal: Credential; pairing: PairingCode }> {
    return this.#store.transaction(async (tx) => {
      const { credential } = await this.#credentials.issue(actor, { kind: 'terminal', label: input.name, siteId: input.siteId, doorId: input.doorId ?? null }, tx);
      return { terminal: credential, pairing: await this.#writeCode(tx, actor, credential.id, credential.siteId) };
    });
  }

  /** Renames a terminal or moves it to another site or door (the door on that site); audited with what changed. */
  async update(actor: Actor, terminalId: string, patch: { name?: string; siteId?: string; doorId?: string | null }): Promise<Credential> {
    const terminal = await this.#credentials.get(terminalId);
    if (!terminal || terminal.kind !== 'terminal' || terminal.revokedAt !== null) throw new NotFoundError(`terminal ${terminalId} not found`, { reason: 'terminal.not-found', params: { id: terminalId } });
    return this.#store.transaction(async (tx) => {
      // Moved to another site without a door named: its old door is not on the new site, so it has none (as a device moved).
      const moved = patch.siteId !== undefined && patch.siteId !== terminal.siteId;
      const doorId = patch.doorId === undefined && moved ? null : patch.doorId;
      const updated = await this.#credentials.update(terminalId, { label: patch.name, siteId: patch.siteId, doorId }, tx);
      await this.#audit.append({
        actor, action: 'terminal.update', target: { type: 'terminal', id: terminalId }, outcome: 'ok', siteId: updated.siteId,
        details: { fields: Object.keys(patch).sort(), ...(updated.siteId !== terminal.siteId ? { fromSite: terminal.siteId } : {}) },
      }, tx);
      return updated;
    });
  }

  /** A fresh pairing code; earlier unused codes of the terminal stop working. */
  async newCode(actor: Actor, terminalId: string): Promise<PairingCode> {
    const terminal = await this.#credentials.get(terminalId);
    if (!terminal || terminal.kind !== 'terminal' || terminal.revokedAt !== null) throw new NotFoundError(`terminal ${terminalId} not found`);
    return this.#store.transaction((tx) => this.#writeCode(tx, actor, terminalId, terminal.siteId));
  }

  async #writeCode(tx: Tx, actor: Actor, terminalId: string, siteId: string | null): Promise<PairingCode> {
    const digits = String(randomInt(0, 100_000_000)).padStart(8, '0');
    const expiresAt = this.#clock.now() + this.#ttlMs;
    const db = tx.withTables<PairingTables>();
    await db.deleteFrom('pairing_codes').where('terminal_id', '=', terminalId).where('used_at', 'is', null).execute();
    await db.insertInto('pairing_codes').values({ code_hash: hash(digits), terminal_id: terminalId, expires_at: expiresAt, used_at: null }).execute();
    await this.#audit.append({ actor, action: 'terminal.pairing-code', target: { type: 'terminal', id: terminalId }, outcome: 'ok', siteId }, tx);
    return { terminalId, code: `${digits.slice(0, 4)}-${digits.slice(4)}`, expiresAt };
  }

  /** Redeems a code once: returns the terminal and its new secret (the old one stops working). */
  async pair(code: string): Promise<{ terminal: Credential; secret: string }> {
    const now = this.#clock.now();
    const row = await this.#db.selectFrom('pairing_codes').selectAll().where('code_hash', '=', hash(code)).executeTakeFirst();
    if (!row || row.used_at !== null || row.expires_at <= now) {
      const reason = row ? 'used-or-expired' : 'unknown';
      await this.#audit.append({ actor: { type: 'system', id: null }, action: 'terminal.pair', outcome: 'denied', details: { reason } });
      this.safeEmit('refused', { reason });
      throw new InvalidError('this pairing code is invalid, expired or already used', { reason: 'pairing.invalid-code' });
    }
    const used = await this.#db.updateTable('pairing_codes').set({ used_at: now })
      .where('code_hash', '=', row.code_hash).where('used_at', 'is', null).executeTakeFirst();
    if (used.numUpdatedRows === 0n) throw new InvalidError('this pairing code is invalid, expired or already used');
    const { credential, secret } = await this.#credentials.rotate({ type: 'credential', id: row.terminal_id }, row.terminal_id);
    await this.#audit.append({ actor: { type: 'credential', id: credential.id }, action: 'terminal.pair', target: { type: 'terminal', id: credential.id }, outcome: 'ok', siteId: credential.siteId });
    this.safeEmit('paired', credential);
    return { terminal: credential, secret };
  }
}
