// SIP accounts made, changed, disabled and deleted in the admin page, applied live:
// a new or enabled account registers at once, a changed one is rebuilt (its
// registerer stopped, its socket bound anew with the new settings), a disabled or
// deleted one unregisters (REGISTER expires=0) and closes. Calls are never cut: a
// change to an account with calls under way is refused (409 sip-account.calls-running)
// until they end. Accounts of the config file stay read-only here, and no admin
// account may take one of their ids (409 sip-account.id-in-config). A stored account
// whose id the config file took later is shadowed: it does not run (the config's
// does), is listed as such, and may only be deleted.
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import type { Actor } from '../audit/index.ts';
import type { Tx } from '../store/index.ts';
import { ConflictError, NotFoundError } from '../core/index.ts';
import { accountSettings, type AccountConfig, type SipAccountSettings } from './settings.ts';
import { configOf, type LeftBinding, type NewPasswords, type WriteGuard, type SipAccountStore, type StoredInbound, type StoredSipAccount } from './account-store.ts';
import { checkEntriesWithin, checkInbound, checkNumbers, inboundNumbers, inboundOf, type InboundTargets, type NumberHolder } from './account-inbound.ts';
import type { SipBridge } from './sip-bridge.ts';
import type { SipAccount } from './sip-account.ts';
import type { SipAccountStatus } from './account-status.ts';

/** What an admin writes: every field of StoredSipAccount but the times; the passwords are write-only. */
export type SipAccountInput = Omit<StoredSipAccount, 'createdAt' | 'updatedAt'>;

/** Whether an account has its own door code ('set'), none ('none') or uses sip.door_code ('default'): the code itself is write-only. */
export type DoorCodeState = 'default' | 'none' | 'set';

/** An account as the admin page lists it: where it comes from, its settings (never a password, never a door code) and its registration now. */
export interface SipAccountListing {
  origin: 'config' | 'admin';
  account: Omit<StoredSipAccount, 'createdAt' | 'updatedAt' | 'doorCode'> & { doorCode: DoorCodeState; createdAt?: number; updatedAt?: number };
  /** A password is set (always, for a running account): the password itself is never read back. */
  hasPassword: boolean;
  /** undefined: not running (disabled, or shadowed). */
  status?: SipAccountStatus;
  /** A stored account whose id the config file took later: it does not run (the config file's does); it can only be deleted. */
  shadowed?: true;
}

export interface SipAccountAdminDeps {
  store: SipAccountStore;
  bridge: SipBridge;
  /** The config file's sip section: its accounts (read-only here) and the defaults an account inherits (door code, timers). */
  sip: Config['sip'];
  /** The names of the phone-book entries with a telephone route through an account. */
  routesThrough(accountId: string): string[];
  /** What the inbound numbers name: phone-book entries and terminals (account-inbound.ts). */
  targets: InboundTargets;
  logger: Logger;
}

export class SipAccountAdmin {
  readonly #d: SipAccountAdminDeps;
  /** Per account id: the end of its last change (#oneAtATime). */
  readonly #changes = new Map<string, Promise<void>>();
  /** Inbound numbers of changes under way, by the account changing: two accounts' changes at once cannot both take one. */
  readonly #claimed = new Map<string, string>();

  constructor(deps: SipAccountAdminDeps) {
    this.#d = deps;
  }

  /** Reads the stored accounts and adds the enabled ones to the bridge (before it starts: they register with the others). */
  async load(): Promise<void> {
    await this.#d.store.load();
    for (const account of this.#d.store.list()) {
      if (!account.enabled) continue;
      try {
        await this.#d.bridge.add(this.#settings(this.#d.store.config(account.id)!, account.tlsCa));
      } catch (error) {
        // One stored account that no longer fits (its id now in the config file) must not stop the gateway.
        const why = this.#fromConfig(account.id) ? 'the config file has an account of this id: delete the stored one in the admin page / die Konfigurationsdatei hat ein Konto mit dieser Kennung: das gespeicherte im Admin-Bereich löschen' : undefined;
        this.#d.logger.error({ account: account.id, err: error, why }, 'sip: a stored account cannot run / ein gespeichertes Konto kann nicht laufen');
      }
    }
  }

  /** Whether an account of either origin has this id (a phone-book route may name it, enabled or not). */
  exists(id: string): boolean {
    return this.#fromConfig(id) !== undefined || this.#d.store.find(id) !== undefined;
  }

  list(): SipAccountListing[] {
    const running = (id: string) => this.#d.bridge.account(id)?.status();
    const configured = this.#d.sip.accounts.map((a): SipAccountListing => ({
      origin: 'config', account: withoutDoorCode(fromConfig(a)), hasPassword: a.password !== '', status: running(a.id),
    }));
    const stored = this.#d.store.list().map((a): SipAccountListing => (this.#fromConfig(a.id)
      ? { origin: 'admin', account: withoutDoorCode(a), hasPassword: true, shadowed: true }
      : { origin: 'admin', account: withoutDoorCode(a), hasPassword: true, status: running(a.id) }));
    return [...configured, ...stored];
  }

  /** The account that runs under this id: the config file's where it has one (a stored one of that id is shadowed). */
  get(id: string): SipAccountListing {
    const listing = this.list().find((l) => l.account.id === id);
    if (!listing) throw notFound(id);
    return listing;
  }

  /** Checks, runs (when enabled) and stores a new account; `inboundPassword`: the trunk's, with an inbound part. Audited (sip-account.create). */
  create(actor: Actor, input: SipAccountInput, password: string, inboundPassword?: string): Promise<SipAccountListing> {
    return this.#oneAtATime(input.id, async () => {
      const { id } = input;
      if (this.#fromConfig(id)) throw new ConflictError(`SIP account id ${id} is used by the config file`, { reason: 'sip-account.id-in-config', params: { id } });
      if (this.#d.store.find(id)) throw new ConflictError(`SIP account id ${id} is taken`, { reason: 'sip-account.id-taken', params: { id } });
      const settings = this.#settings(configOf(input, password, inboundPassword), input.tlsCa);
      return this.#withInbound(id, input.inbound, null, async () => {
        const running = input.enabled ? await this.#run(settings) : undefined;
        const now = this.#d.store.now;
        try {
          await this.#d.store.create(actor, { ...input, createdAt: now, updatedAt: now }, password, inboundPassword, this.#entriesGuard(input.inbound, null));
        } catch (error) {
          if (running) await this.#d.bridge.remove(running);
          throw error;
        }
        return this.get(id);
      });
    });
  }

  /**
   * Changes an account: checked first, refused while it has calls, then rebuilt — the old instance unregisters and
   * closes, the new one binds and registers; its inbound numbers are the new instance's. A password left out keeps the
   * stored one (the trunk's too, while the account has an inbound part). Audited (sip-account.update).
   * One change of an account at a time (#oneAtATime); the stored row is read again after each wait.
   */
  update(actor: Actor, id: string, patch: Partial<Omit<SipAccountInput, 'id'>>, passwords: NewPasswords): Promise<SipAccountListing> {
    return this.#oneAtATime(id, async () => {
      const before = this.#stored(id);
      const next: StoredSipAccount = { ...before, ...definedOf(patch), id, updatedAt: this.#d.store.now };
      const oldConfig = this.#d.store.config(id)!;
      const inboundPassword = passwords.inboundPassword ?? (next.inbound ? oldConfig.inbound?.password : undefined);
      const settings = this.#settings(configOf(next, passwords.password ?? oldConfig.password, inboundPassword), next.tlsCa);
      return this.#withInbound(id, next.inbound, before.inbound, async () => {
        this.#assertNoCalls(id);
        const left = await this.#stop(id);
        this.#stored(id);
        let running: SipAccount | undefined;
        if (next.enabled) {
          try {
            running = await this.#run(settings);
          } catch (error) {
            if (before.enabled && this.#d.store.find(id)) await this.#d.bridge.add(this.#settings(oldConfig, before.tlsCa)).catch(() => undefined);
            throw error;
          }
        }
        if (!this.#d.store.find(id)) {
          if (running) await this.#d.bridge.remove(running);
          throw notFound(id);
        }
        const secrets = [...passwords.password === undefined ? [] : ['password'], ...passwords.inboundPassword === undefined ? [] : ['inboundPassword']];
        const fields = [...Object.keys(definedOf(patch)), ...secrets].sort();
        try {
          await this.#d.store.update(actor, next, passwords, fields, this.#entriesGuard(next.inbound, before.inbound), left);
        } catch (error) {
          // Refused in the write (an entry deleted meanwhile): the account runs on as stored.
          if (running) await this.#d.bridge.remove(running);
          if (before.enabled) await this.#d.bridge.add(this.#settings(oldConfig, before.tlsCa)).catch(() => undefined);
          throw error;
        }
        return this.get(id);
      });
    });
  }

  /**
   * Unregisters, closes and deletes an account; refused while a phone-book route names it or it has calls. Audited (sip-account.delete).
   * An id of the config file deletes the stored account it shadows (the config file's runs on, its routes and calls untouched).
   */
  remove(actor: Actor, id: string): Promise<void> {
    return this.#oneAtATime(id, async () => {
      if (this.#fromConfig(id) && this.#d.store.find(id)) return this.#d.store.remove(actor, id);
      this.#stored(id);
      const entries = this.#d.routesThrough(id);
      if (entries.length > 0) {
        throw new ConflictError(`SIP account ${id} is named by phone-book entries ${entries.join(', ')}`, { reason: 'sip-account.in-use', params: { entries: entries.join(', ') } });
      }
      this.#assertNoCalls(id);
      const left = await this.#stop(id);
      if (!this.#d.store.find(id)) return;
      await this.#d.store.remove(actor, id, left);
    });
  }

  /**
   * The inbound numbers of stored accounts that ring this phone-book entry, as "number (account)": the phone book
   * refuses to delete the entry while there are any (409 entry.in-use).
   */
  numbersRinging(entryId: string, within: Tx): Promise<string[]> {
    return this.#d.store.numbersRinging(entryId, within);
  }

  /** The entries an inbound part names anew, read again in the account's write (checkEntriesWithin). */
  #entriesGuard(inbound: StoredInbound | null, before: StoredInbound | null): WriteGuard {
    return (tx) => checkEntriesWithin(inbound, before, this.#d.targets, tx);
  }

  /** An erasure removes the entry anyway: each stored account drops the numbers that ring it (audited sip-account.update). */
  releaseEntry(actor: Actor, entryId: string): Promise<void> {
    return this.#dropNumbers(actor, (inbound) => inbound.numbers.filter((n) => n.entryId === entryId).map((n) => n.number));
  }

  /** A revoked terminal is reached by no number: each stored account drops the numbers that named it (audited sip-account.update). */
  releaseTerminal(actor: Actor, terminalId: string): Promise<void> {
    return this.#dropNumbers(actor, (inbound) => inbound.terminals.filter((t) => t.terminalId === terminalId).map((t) => t.number));
  }

  /**
   * Drops `named` numbers from every stored account's inbound part, each as that account's next change (queued at once,
   * so a change asked for after this call sees the numbers gone). The running instance forgets them in place: no
   * re-registration, and its calls are not in the way (a release cannot be refused).
   */
  async #dropNumbers(actor: Actor, named: (inbound: StoredInbound) => string[]): Promise<void> {
    const holders = this.#d.store.list().filter((a) => a.inbound !== null && named(a.inbound).length > 0);
    await Promise.all(holders.map((a) => this.#oneAtATime(a.id, async () => {
      const before = this.#d.store.find(a.id);
      const drop = new Set(before?.inbound ? named(before.inbound) : []);
      if (!before?.inbound || drop.size === 0) return;
      const inbound: StoredInbound = {
        ...before.inbound, numbers: before.inbound.numbers.filter((n) => !drop.has(n.number)), terminals: before.inbound.terminals.filter((t) => !drop.has(t.number)),
      };
      await this.#d.store.update(actor, { ...before, inbound, updatedAt: this.#d.store.now }, {}, ['inbound']);
      const running = this.#fromConfig(a.id) ? undefined : this.#d.bridge.account(a.id);
      for (const number of drop) running?.dropInboundNumber(number);
    })));
  }

  /** Runs one change of an account after the ones before it ended (a double-submitted form, two admins): never two at once. */
  #oneAtATime<T>(id: string, change: () => Promise<T>): Promise<T> {
    const before = this.#changes.get(id) ?? Promise.resolve();
    const result = before.then(change, change);
    const tail = result.then(() => undefined, () => undefined);
    this.#changes.set(id, tail);
    void tail.then(() => { if (this.#changes.get(id) === tail) this.#changes.delete(id); });
    return result;
  }

  /**
   * Unregisters and closes the running instance of this id (none: nothing to do), waiting for the un-REGISTER's
   * final answer (up to Timer F: SipAccount.leave). Resolves with the binding its registrar may keep, for the audit.
   */
  async #stop(id: string): Promise<LeftBinding | undefined> {
    const running = this.#d.bridge.account(id);
    const outcome = running ? await this.#d.bridge.remove(running) : undefined;
    return outcome?.binding === 'kept' ? { binding: 'kept', code: outcome.code } : undefined;
  }

  #stored(id: string): StoredSipAccount {
    if (this.#fromConfig(id)) throw new ConflictError(`SIP account ${id} is in the config file: change it there`, { reason: 'sip-account.from-config', params: { id } });
    const account = this.#d.store.find(id);
    if (!account) throw notFound(id);
    return account;
  }

  #fromConfig(id: string): AccountConfig | undefined {
    return this.#d.sip.accounts.find((a) => a.id === id);
  }

  /**
   * Runs `change` once the inbound part's entries and terminals exist and no other account lists one of its numbers
   * (account-inbound.ts) — nor claims it in a change under way: its numbers are claimed until `change` ends.
   * `before`: the stored part, whose targets are not looked up again (only what the change adds or re-targets).
   */
  async #withInbound<T>(id: string, inbound: StoredInbound | null, before: StoredInbound | null, change: () => Promise<T>): Promise<T> {
    const others = (): NumberHolder[] => [
      ...this.#d.sip.accounts.filter((a) => a.id !== id).map((a) => ({ id: a.id, numbers: inboundNumbers(inboundOf(a.inbound)) })),
      ...this.#d.store.list().filter((a) => a.id !== id).map((a) => ({ id: a.id, numbers: inboundNumbers(a.inbound) })),
      ...[...this.#claimed].filter(([, by]) => by !== id).map(([number, by]) => ({ id: by, numbers: [number] })),
    ];
    await checkInbound(inbound, before, this.#d.targets, others());
    // Read again after the terminals' lookups: another account's change may have claimed a number meanwhile.
    checkNumbers(inbound, others());
    const mine = inboundNumbers(inbound);
    for (const number of mine) this.#claimed.set(number, id);
    try {
      return await change();
    } finally {
      for (const number of mine) if (this.#claimed.get(number) === id) this.#claimed.delete(number);
    }
  }

  #assertNoCalls(id: string): void {
    const calls = this.#d.bridge.account(id)?.activeCalls ?? 0;
    if (calls > 0) throw new ConflictError(`SIP account ${id} has ${calls} call(s) under way`, { reason: 'sip-account.calls-running', params: { id, n: calls } });
  }

  /** The account checked as the config file's would be (named errors: sip.host-port, sip.srtp-needs-tls …). */
  #settings(config: AccountConfig, caPem: string): SipAccountSettings {
    return accountSettings(this.#d.sip, config, (field) => field, caPem);
  }

  async #run(settings: SipAccountSettings): Promise<SipAccount> {
    try {
      return await this.#d.bridge.add(settings);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' || code === 'EACCES') {
        throw new ConflictError(`local port ${settings.localPort} cannot be bound (${code})`, { reason: 'sip-account.port-taken', params: { port: settings.localPort } });
      }
      throw error;
    }
  }
}

const notFound = (id: string) => new NotFoundError(`SIP account ${id} not found`, { reason: 'sip-account.not-found', params: { id } });

/** A patch's fields that are set (an absent field keeps the stored value). */
function definedOf<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The door code is write-only like the password: a listing says only whether there is one (a physical-access credential). */
function withoutDoorCode<A extends { doorCode: string | null }>(a: A): Omit<A, 'doorCode'> & { doorCode: DoorCodeState } {
  return { ...a, doorCode: a.doorCode === null ? 'default' : a.doorCode === '' ? 'none' : 'set' };
}

/** A config-file account in the admin page's spelling (its CA is a file path there, shown as such). */
function fromConfig(a: AccountConfig): SipAccountInput {
  return {
    id: a.id, enabled: a.enabled !== false, registrar: a.registrar, secondaryRegistrars: a.secondary_registrars ?? [], transport: a.transport ?? 'udp',
    tlsServerName: a.tls?.server_name ?? '', tlsCa: a.tls?.ca ?? '', srtp: a.srtp ?? 'off', username: a.username, authUsername: a.auth_username ?? '',
    domain: a.domain ?? '', expires: a.expires ?? null, outboundProxy: a.outbound_proxy ?? '', localPort: a.local_port ?? null, doorCode: a.door_code ?? null,
    inbound: inboundOf(a.inbound), codecs: a.codecs ?? null,
  };
}
