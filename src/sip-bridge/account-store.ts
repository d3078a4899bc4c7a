// The SIP accounts an admin keeps in the admin page (sip_accounts): each record as
// the config file would spell it, its digest passwords (the registration's and the
// inbound trunk's) sealed under the master key (opened only to build the running
// account, never logged, never returned), and the audit entry of each change
// written in the same transaction (no secret in it).
import type { Store, Tx } from '../store/index.ts';
import type { AuditLog, Actor } from '../audit/index.ts';
import type { Clock } from '../core/index.ts';
import { isSealed } from '../secrets/index.ts';
import type { AccountConfig, SipTransportName } from './settings.ts';
import type { SrtpMode } from './media-security.ts';
import type { CodecName } from './audio-codecs.ts';

/** Calls from the account's PBX (sip.accounts[].inbound), without the trunk's password. */
/** A stopped account's binding its registrar may keep (the un-REGISTER refused or unanswered: `code`, 408 for none), for the audit entry. */
export interface LeftBinding { binding: 'kept'; code: number }

export interface StoredInbound {
  /** The digest user the PBX answers Portier's challenge with. */
  username: string;
  /** '' = portier. */
  realm: string;
  /** The PBX's addresses; [] = any (then no terminal numbers). */
  sources: string[];
  trustRegistrar: boolean;
  /** Dialled number → the phone-book entry it rings. */
  numbers: Array<{ number: string; entryId: string }>;
  /** Dialled number → the terminal that answers by itself, and who may call it (name '' = the number). */
  terminals: Array<{ number: string; terminalId: string; callers: Array<{ id: string; number: string; name: string }> }>;
}

/** An admin's account, without its passwords. */
export interface StoredSipAccount {
  id: string;
  enabled: boolean;
  registrar: string;
  secondaryRegistrars: string[];
  transport: SipTransportName;
  /** TLS: the name the PBX's certificate must carry ('' = the registrar's host) and the CA it must chain to (PEM; '' = the public CAs). */
  tlsServerName: string;
  tlsCa: string;
  srtp: SrtpMode;
  username: string;
  /** '' = the username. */
  authUsername: string;
  /** '' = the registrar's host. */
  domain: string;
  /** null: 300 s. */
  expires: number | null;
  outboundProxy: string;
  /** null: any free port. */
  localPort: number | null;
  /** null: sip.door_code; '': none. */
  doorCode: string | null;
  /** null: no inbound calls. */
  inbound: StoredInbound | null;
  /** Audio codecs in order of preference (sip.accounts[].codecs); null: sip.codecs. */
  codecs: CodecName[] | null;
  createdAt: number;
  updatedAt: number;
}

/** Seals and opens the passwords (the secrets port, src/secrets SecretBox). */
export interface PasswordSealer {
  seal(plain: string): string;
  open(sealed: string, where: string): { value: string; stale: boolean };
}

type Row = {
  id: string; enabled: number; registrar: string; secondary_registrars: string; transport: string; tls_server_name: string; tls_ca: string;
  srtp: string; username: string; auth_username: string; sealed_password: string; domain: string; expires: number | null;
  outbound_proxy: string; local_port: number | null; door_code: string | null; inbound: string | null; sealed_inbound_password: string | null; codecs: string | null;
  created_at: number; updated_at: number;
};
/**
 * The secrets of an account as stored: the registration's password, the inbound trunk's (null without inbound), and
 * the door code (a physical-access credential, review s25 #3): sealed when the account has its own, else null
 * (sip.door_code) or '' (none) as is. The clear code lives in memory only (the record, the running account).
 */
type Sealed = { password: string; inbound: string | null; doorCode: string | null };
/** New passwords for a change; one left out stays as stored. */
/** Checks of what an account names that others own (its inbound numbers' entries), run inside the transaction that writes it. */
export type WriteGuard = (tx: Tx) => Promise<void>;

export type NewPasswords = { password?: string; inboundPassword?: string };
type Tables = { sip_accounts: Row };

export class SipAccountStore {
  readonly #store: Store;
  readonly #audit: AuditLog;
  readonly #clock: Clock;
  readonly #box: PasswordSealer;
  readonly #byId = new Map<string, { account: StoredSipAccount; sealed: Sealed }>();

  constructor(deps: { store: Store; audit: AuditLog; clock: Clock; box: PasswordSealer }) {
    this.#store = deps.store;
    this.#audit = deps.audit;
    this.#clock = deps.clock;
    this.#box = deps.box;
  }

  get #db() { return this.#store.db.withTables<Tables>(); }

  /**
   * Reads every account once (at start); secrets sealed under a previous master key are sealed again, and a door code
   * stored in clear (rows written before review s25 #3 — a migration has no master key) is sealed now.
   */
  async load(): Promise<void> {
    for (const row of await this.#db.selectFrom('sip_accounts').selectAll().execute()) {
      const where = `SIP account ${row.id}'s door code`;
      const code = row.door_code;
      const clearCode = code === null || code === '' || !isSealed(code) ? code : this.#box.open(code, where).value;
      const sealed: Sealed = {
        password: this.#fresh(row.sealed_password, `SIP account ${row.id}'s password`), inbound: null,
        doorCode: code === null || code === '' ? code : isSealed(code) ? this.#fresh(code, where) : this.#box.seal(code),
      };
      if (row.sealed_inbound_password !== null) sealed.inbound = this.#fresh(row.sealed_inbound_password, `SIP account ${row.id}'s inbound password`);
      if (sealed.password !== row.sealed_password || sealed.inbound !== row.sealed_inbound_password || sealed.doorCode !== code) {
        await this.#db.updateTable('sip_accounts').set({ sealed_password: sealed.password, sealed_inbound_password: sealed.inbound, door_code: sealed.doorCode })
          .where('id', '=', row.id).execute();
      }
      this.#byId.set(row.id, { account: { ...accountOf(row), doorCode: clearCode }, sealed });
    }
  }

  /** A door code as stored: its own sealed, null and '' as they are. */
  #sealCode(code: string | null): string | null {
    return code === null || code === '' ? code : this.#box.seal(code);
  }

  /** A sealed secret, sealed again when it was sealed under a previous master key. */
  #fresh(sealed: string, where: string): string {
    const { value, stale } = this.#box.open(sealed, where);
    return stale ? this.#box.seal(value) : sealed;
  }

  list(): StoredSipAccount[] {
    return [...this.#byId.values()].map((a) => a.account).sort((a, b) => a.id.localeCompare(b.id));
  }

  find(id: string): StoredSipAccount | undefined { return this.#byId.get(id)?.account; }

  /** The account as the config file would spell it, its passwords opened: what the running account is built from. */
  config(id: string): AccountConfig | undefined {
    const held = this.#byId.get(id);
    if (!held) return undefined;
    const inbound = held.sealed.inbound === null ? undefined : this.#box.open(held.sealed.inbound, `SIP account ${id}'s inbound password`).value;
    return configOf(held.account, this.#box.open(held.sealed.password, `SIP account ${id}'s password`).value, inbound);
  }

  /**
   * The inbound numbers of stored accounts that ring this phone-book entry, as "number (account)", read `within` a
   * transaction from the table (the entry's deletion: an account written just before counts).
   */
  async numbersRinging(entryId: string, within: Tx): Promise<string[]> {
    const rows = await within.withTables<Tables>().selectFrom('sip_accounts').select(['id', 'inbound']).where('inbound', 'is not', null).orderBy('id').execute();
    return rows.flatMap((r) => (JSON.parse(r.inbound!) as StoredInbound).numbers.filter((n) => n.entryId === entryId).map((n) => `${n.number} (${r.id})`));
  }

  /** Writes a new account (its passwords sealed). Audited (sip-account.create, no secret). `guard`: checks run in the write's transaction first. */
  async create(actor: Actor, account: StoredSipAccount, password: string, inboundPassword?: string, guard?: WriteGuard): Promise<void> {
    const sealed: Sealed = {
      password: this.#box.seal(password), inbound: account.inbound && inboundPassword !== undefined ? this.#box.seal(inboundPassword) : null,
      doorCode: this.#sealCode(account.doorCode),
    };
    await this.#store.transaction(async (tx) => {
      await guard?.(tx);
      await tx.withTables<Tables>().insertInto('sip_accounts').values(rowOf(account, sealed)).execute();
      await this.#audit.append({ actor, action: 'sip-account.create', target: { type: 'sip-account', id: account.id }, outcome: 'ok' }, tx);
    });
    this.#byId.set(account.id, { account, sealed });
  }

  /** Rewrites an account; a password left out stays as stored (the inbound one goes with the inbound part). Audited with the fields changed (their names only). */
  async update(actor: Actor, account: StoredSipAccount, passwords: NewPasswords, fields: string[], guard?: WriteGuard, left?: LeftBinding): Promise<void> {
    const held = this.#byId.get(account.id)!;
    const before = held.sealed;
    const sealed: Sealed = {
      doorCode: account.doorCode === held.account.doorCode ? before.doorCode : this.#sealCode(account.doorCode),
      password: passwords.password === undefined ? before.password : this.#box.seal(passwords.password),
      inbound: account.inbound === null ? null : passwords.inboundPassword === undefined ? before.inbound : this.#box.seal(passwords.inboundPassword),
    };
    await this.#store.transaction(async (tx) => {
      await guard?.(tx);
      await tx.withTables<Tables>().updateTable('sip_accounts').set(rowOf(account, sealed)).where('id', '=', account.id).execute();
      await this.#audit.append({ actor, action: 'sip-account.update', target: { type: 'sip-account', id: account.id }, outcome: 'ok', details: { fields, ...left } }, tx);
    });
    this.#byId.set(account.id, { account, sealed });
  }

  /** Deletes an account; `left`: its binding the registrar may keep (the un-REGISTER failed), named in the audit entry. */
  async remove(actor: Actor, id: string, left?: LeftBinding): Promise<void> {
    await this.#store.transaction(async (tx) => {
      await tx.withTables<Tables>().deleteFrom('sip_accounts').where('id', '=', id).execute();
      await this.#audit.append({ actor, action: 'sip-account.delete', target: { type: 'sip-account', id }, outcome: 'ok', details: left && { ...left } }, tx);
    });
    this.#byId.delete(id);
  }

  get now(): number { return this.#clock.now(); }
}

/** An admin's record in the config file's spelling (accountSettings checks and builds it like a configured one); `inboundPassword` undefined: '' (refused by the check). */
export function configOf(a: Omit<StoredSipAccount, 'createdAt' | 'updatedAt'>, password: string, inboundPassword?: string): AccountConfig {
  const tls = a.tlsServerName !== '' || a.tlsCa !== '' ? { server_name: a.tlsServerName || undefined } : undefined;
  return {
    id: a.id, enabled: a.enabled, registrar: a.registrar, secondary_registrars: a.secondaryRegistrars, transport: a.transport, tls, srtp: a.srtp,
    username: a.username, auth_username: a.authUsername || undefined, password, domain: a.domain || undefined,
    expires: a.expires ?? undefined, outbound_proxy: a.outboundProxy || undefined, local_port: a.localPort ?? undefined,
    door_code: a.doorCode ?? undefined,
    inbound: a.inbound ? inboundConfigOf(a.inbound, inboundPassword ?? '') : undefined,
    codecs: a.codecs ?? undefined,
  };
}

function inboundConfigOf(i: StoredInbound, password: string): NonNullable<AccountConfig['inbound']> {
  return {
    username: i.username, password, realm: i.realm || undefined, sources: i.sources, trust_registrar: i.trustRegistrar,
    numbers: i.numbers.map((n) => ({ number: n.number, entry: n.entryId })),
    terminals: i.terminals.map((t) => ({
      number: t.number, terminal: t.terminalId, callers: t.callers.map((c) => ({ id: c.id, number: c.number, name: c.name || undefined })),
    })),
  };
}

function accountOf(r: Row): StoredSipAccount {
  return {
    id: r.id, enabled: Number(r.enabled) === 1, registrar: r.registrar, secondaryRegistrars: JSON.parse(r.secondary_registrars) as string[],
    transport: r.transport as SipTransportName, tlsServerName: r.tls_server_name, tlsCa: r.tls_ca, srtp: r.srtp as SrtpMode,
    username: r.username, authUsername: r.auth_username, domain: r.domain, expires: r.expires === null ? null : Number(r.expires),
    outboundProxy: r.outbound_proxy, localPort: r.local_port === null ? null : Number(r.local_port), doorCode: r.door_code,
    inbound: r.inbound === null ? null : JSON.parse(r.inbound) as StoredInbound,
    codecs: r.codecs === null ? null : JSON.parse(r.codecs) as CodecName[],
    createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
  };
}

function rowOf(a: StoredSipAccount, sealed: Sealed): Row {
  return {
    id: a.id, enabled: a.enabled ? 1 : 0, registrar: a.registrar, secondary_registrars: JSON.stringify(a.secondaryRegistrars), transport: a.transport,
    tls_server_name: a.tlsServerName, tls_ca: a.tlsCa, srtp: a.srtp, username: a.username, auth_username: a.authUsername,
    sealed_password: sealed.password, domain: a.domain, expires: a.expires, outbound_proxy: a.outboundProxy, local_port: a.localPort,
    door_code: sealed.doorCode, inbound: a.inbound === null ? null : JSON.stringify(a.inbound), sealed_inbound_password: a.inbound === null ? null : sealed.inbound,
    codecs: a.codecs === null ? null : JSON.stringify(a.codecs),
    created_at: a.createdAt, updated_at: a.updatedAt,
  };
}
