// The SIP accounts an admin keeps in the admin page (sip_accounts): each record as
// the config file would spell it, its digest password sealed under the master key
// (opened only to build the running account, never logged, never returned), and
// the audit entry of each change written in the same transaction (no secret in it).
import type { Store } from '../store/index.ts';
import type { AuditLog, Actor } from '../audit/index.ts';
import type { Clock } from '../core/index.ts';
import type { AccountConfig, SipTransportName } from './settings.ts';
import type { SrtpMode } from './media-security.ts';

/** An admin's account, without its password. */
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
  outbound_proxy: string; local_port: number | null; door_code: string | null; created_at: number; updated_at: number;
};
type Tables = { sip_accounts: Row };

export class SipAccountStore {
  readonly #store: Store;
  readonly #audit: AuditLog;
  readonly #clock: Clock;
  readonly #box: PasswordSealer;
  readonly #byId = new Map<string, { account: StoredSipAccount; sealed: string }>();

  constructor(deps: { store: Store; audit: AuditLog; clock: Clock; box: PasswordSealer }) {
    this.#store = deps.store;
    this.#audit = deps.audit;
    this.#clock = deps.clock;
    this.#box = deps.box;
  }

  get #db() { return this.#store.db.withTables<Tables>(); }

  /** Reads every account once (at start); passwords sealed under a previous master key are sealed again. */
  async load(): Promise<void> {
    for (const row of await this.#db.selectFrom('sip_accounts').selectAll().execute()) {
      let sealed = row.sealed_password;
      const { value, stale } = this.#box.open(sealed, `SIP account ${row.id}'s password`);
      if (stale) {
        sealed = this.#box.seal(value);
        await this.#db.updateTable('sip_accounts').set({ sealed_password: sealed }).where('id', '=', row.id).execute();
      }
      this.#byId.set(row.id, { account: accountOf(row), sealed });
    }
  }

  list(): StoredSipAccount[] {
    return [...this.#byId.values()].map((a) => a.account).sort((a, b) => a.id.localeCompare(b.id));
  }

  find(id: string): StoredSipAccount | undefined { return this.#byId.get(id)?.account; }

  /** The account as the config file would spell it, its password opened: what the running account is built from. */
  config(id: string): AccountConfig | undefined {
    const held = this.#byId.get(id);
    return held && configOf(held.account, this.#box.open(held.sealed, `SIP account ${id}'s password`).value);
  }

  /** Writes a new account (its password sealed). Audited (sip-account.create, no secret). */
  async create(actor: Actor, account: StoredSipAccount, password: string): Promise<void> {
    const sealed = this.#box.seal(password);
    await this.#store.transaction(async (tx) => {
      await tx.withTables<Tables>().insertInto('sip_accounts').values(rowOf(account, sealed)).execute();
      await this.#audit.append({ actor, action: 'sip-account.create', target: { type: 'sip-account', id: account.id }, outcome: 'ok' }, tx);
    });
    this.#byId.set(account.id, { account, sealed });
  }

  /** Rewrites an account; `password` undefined keeps the one stored. Audited with the fields changed (their names only). */
  async update(actor: Actor, account: StoredSipAccount, password: string | undefined, fields: string[]): Promise<void> {
    const sealed = password === undefined ? this.#byId.get(account.id)!.sealed : this.#box.seal(password);
    await this.#store.transaction(async (tx) => {
      await tx.withTables<Tables>().updateTable('sip_accounts').set(rowOf(account, sealed)).where('id', '=', account.id).execute();
      await this.#audit.append({ actor, action: 'sip-account.update', target: { type: 'sip-account', id: account.id }, outcome: 'ok', details: { fields } }, tx);
    });
    this.#byId.set(account.id, { account, sealed });
  }

  async remove(actor: Actor, id: string): Promise<void> {
    await this.#store.transaction(async (tx) => {
      await tx.withTables<Tables>().deleteFrom('sip_accounts').where('id', '=', id).execute();
      await this.#audit.append({ actor, action: 'sip-account.delete', target: { type: 'sip-account', id }, outcome: 'ok' }, tx);
    });
    this.#byId.delete(id);
  }

  get now(): number { return this.#clock.now(); }
}

/** An admin's record in the config file's spelling (accountSettings checks and builds it like a configured one). */
export function configOf(a: Omit<StoredSipAccount, 'createdAt' | 'updatedAt'>, password: string): AccountConfig {
  const tls = a.tlsServerName !== '' || a.tlsCa !== '' ? { server_name: a.tlsServerName || undefined } : undefined;
  return {
    id: a.id, enabled: a.enabled, registrar: a.registrar, secondary_registrars: a.secondaryRegistrars, transport: a.transport, tls, srtp: a.srtp,
    username: a.username, auth_username: a.authUsername || undefined, password, domain: a.domain || undefined,
    expires: a.expires ?? undefined, outbound_proxy: a.outboundProxy || undefined, local_port: a.localPort ?? undefined,
    door_code: a.doorCode ?? undefined,
  };
}

function accountOf(r: Row): StoredSipAccount {
  return {
    id: r.id, enabled: Number(r.enabled) === 1, registrar: r.registrar, secondaryRegistrars: JSON.parse(r.secondary_registrars) as string[],
    transport: r.transport as SipTransportName, tlsServerName: r.tls_server_name, tlsCa: r.tls_ca, srtp: r.srtp as SrtpMode,
    username: r.username, authUsername: r.auth_username, domain: r.domain, expires: r.expires === null ? null : Number(r.expires),
    outboundProxy: r.outbound_proxy, localPort: r.local_port === null ? null : Number(r.local_port), doorCode: r.door_code,
    createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
  };
}

function rowOf(a: StoredSipAccount, sealed: string): Row {
  return {
    id: a.id, enabled: a.enabled ? 1 : 0, registrar: a.registrar, secondary_registrars: JSON.stringify(a.secondaryRegistrars), transport: a.transport,
    tls_server_name: a.tlsServerName, tls_ca: a.tlsCa, srtp: a.srtp, username: a.username, auth_username: a.authUsername,
    sealed_password: sealed, domain: a.domain, expires: a.expires, outbound_proxy: a.outboundProxy, local_port: a.localPort,
    door_code: a.doorCode, created_at: a.createdAt, updated_at: a.updatedAt,
  };
}
