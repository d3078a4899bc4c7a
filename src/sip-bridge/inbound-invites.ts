// The inbound half of a SIP account: its socket's guard (inbound-guard.ts) wired
// for the UDP transport, the INVITEs the guard let through kept by Call-ID until
// sip.js hands them over (or 64·T1), and sip.js's onInvite turning them into
// IncomingCalls for the bridge — or refusing what the guard did not admit, and
// 486 Busy Here (Retry-After) past sip.inbound.max_calls calls at a time. An
// established call's requests from its PBX no longer pay the per-source bucket.
import type { Logger } from 'pino';
import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import type { Invitation } from 'sip.js';
import type { Clock } from '../core/index.ts';
import type { HostPort, WireMessage } from './sip-wire.ts';
import type { SipAccountSettings, SipSettings } from './settings.ts';
import { InboundGuard, DEFAULT_INBOUND_LIMITS, type AcceptedInvite, type GuardVerdict, type InboundCounters } from './inbound-guard.ts';
import type { RequestGuard } from './udp-transport.ts';

export interface InboundInvitesOptions {
  account: SipAccountSettings;
  settings: SipSettings;
  clock: Clock;
  logger: Logger;
}

const systemLookupAll = async (host: string): Promise<string[]> => (await lookup(host, { all: true })).map((a) => a.address);

/** The registrar, the secondaries it fails over to and the outbound proxy: every one of them may call in as the trunk. */
function accountServers(account: SipAccountSettings): HostPort[] {
  return [account.registrar, ...account.secondaryRegistrars ?? [], account.outboundProxy].filter((s): s is HostPort => s !== undefined);
}

export class InboundInvites {
  readonly #opts: InboundInvitesOptions;
  readonly #guard: InboundGuard;
  /** INVITEs the guard let through, by Call-ID, until sip.js hands them over (or 64·T1). */
  readonly #accepted = new Map<string, { invite: AcceptedInvite; timer: NodeJS.Timeout }>();
  /** Calls sip.js holds (handed over, not terminated yet), by Call-ID. */
  readonly #live = new Set<string>();
  /** The warning about a secondary outside inbound.sources was logged (once per account). */
  #warnedSources = false;

  constructor(opts: InboundInvitesOptions) {
    this.#opts = opts;
    const { account, settings } = opts;
    this.#guard = new InboundGuard({
      accountId: account.id, accountUser: account.username, clock: opts.clock, logger: opts.logger,
      transactionMs: 64 * settings.timers.t1Ms,
      limits: settings.inbound ?? DEFAULT_INBOUND_LIMITS,
      servers: accountServers(account).map((s) => s.host).filter((h) => isIP(h) !== 0),
      trunk: account.inbound && {
        credentials: { username: account.inbound.username, password: account.inbound.password, realm: account.inbound.realm },
        sources: account.inbound.sources,
        numbers: new Set([...account.inbound.numbers.keys(), ...account.inbound.terminals.keys()]),
        callers: new Map([...account.inbound.terminals].map(([number, t]) => [number, new Set(t.callers.keys())])),
      },
    });
  }

  /**
   * With trust_registrar: resolves the registrar's and outbound proxy's names (IP literals as they are) and
   * lets their INVITEs, from that address and port, in without a challenge. Called at each (re)connect and
   * whenever a registrar domain resolves anew, so a moved registrar is followed; a name that does not resolve
   * trusts nothing (its INVITEs are challenged). `registrars`: the servers the registrar names (its SRV targets,
   * sip-dns.ts), else the registrar itself; `lookupAll`: every address of a name (default: the system's).
   */
  async trustServers(registrars?: readonly HostPort[], lookupAll: (host: string) => Promise<string[]> = systemLookupAll): Promise<void> {
    const { account } = this.#opts;
    const sources = account.inbound?.sources ?? [];
    if (!account.inbound?.trustRegistrar && sources.length === 0) return;
    const resolve = async (s: HostPort): Promise<HostPort[]> => {
      if (isIP(s.host) !== 0) return [s];
      const addresses = await lookupAll(s.host).catch(() => []);
      return addresses.map((host) => ({ host, port: s.port }));
    };
    const registrar = (await Promise.all((registrars ?? [account.registrar]).map(resolve))).flat();
    const secondaries = await Promise.all((account.secondaryRegistrars ?? []).map(resolve));
    const proxy = account.outboundProxy ? await resolve(account.outboundProxy) : [];
    if (sources.length > 0) this.#warnSecondariesOutsideSources([registrar, ...secondaries], sources);
    if (account.inbound?.trustRegistrar) this.#guard.trustPeers([registrar, ...secondaries, proxy].flat());
  }

  /**
   * The start's half of settings.ts secondariesAmongSources for servers given by name (the load compares only
   * addresses): sources that hold the registrar's address say the PBX calls from its servers, so a secondary none
   * of whose addresses is listed gets a warning — after a failover its INVITEs would be refused 403 (review s22 #23).
   * Once per account: each reconnect resolves again.
   */
  #warnSecondariesOutsideSources([registrar, ...secondaries]: HostPort[][], sources: string[]): void {
    const listed = (addresses: HostPort[] | undefined) => (addresses ?? []).some((a) => sources.includes(a.host));
    if (this.#warnedSources || !listed(registrar)) return;
    const { account, logger } = this.#opts;
    secondaries.forEach((addresses, j) => {
      if (listed(addresses)) return;
      this.#warnedSources = true;
      const server = account.secondaryRegistrars![j]!;
      logger.warn({ account: account.id, key: `sip.accounts[].inbound.sources`, server: server.host, addresses: addresses.map((a) => a.host) },
        'sip: a secondary server is not among inbound.sources — its calls would be refused after a failover / '
        + 'ein Ausweichserver fehlt in inbound.sources — seine Anrufe würden nach einem Wechsel abgewiesen');
    });
  }

  /** What the account's socket did with inbound requests (a copy). */
  get counters(): InboundCounters { return { ...this.#guard.counters }; }

  /** The guard as the UDP transport asks it (transportOptions.guard). */
  transportGuard(): RequestGuard {
    return {
      tag: this.#guard.tag,
      admit: (host: string, datagram?: Buffer) => this.#guard.admit(host, datagram),
      limitedReply: () => this.#guard.limitedReply(),
      check: (msg: WireMessage, source: HostPort) => this.#check(msg, source),
    };
  }

  #check(msg: WireMessage, source: HostPort): GuardVerdict {
    const verdict = this.#guard.check(msg, source);
    if (verdict.action === 'deliver' && verdict.invite && !this.#accepted.has(verdict.invite.callId)) {
      const { invite } = verdict;
      const hold = 64 * this.#opts.settings.timers.t1Ms;
      this.#accepted.set(invite.callId, { invite, timer: this.#opts.clock.setTimeout(() => this.#accepted.delete(invite.callId), hold) });
    }
    return verdict;
  }

  /**
   * sip.js's onInvite: the guard's accepted INVITE of this Call-ID, for `ring` to take;
   * anything the guard did not admit gets 403, and 503 once the account closed.
   */
  take(invitation: Invitation, closed: boolean, ring: (invite: AcceptedInvite) => void): void {
    const callId = invitation.request.callId;
    const accepted = this.#accepted.get(callId);
    if (accepted) {
      this.#opts.clock.clearTimeout(accepted.timer);
      this.#accepted.delete(callId);
    }
    const host = accepted?.invite.source.host;
    invitation.stateChange.addListener((state) => {
      if (state === 'Established' && host !== undefined) this.#guard.openDialog(callId, host);
      if (state !== 'Terminated') return;
      // Once its call is over, the same INVITE again (a replay of the captured bytes) opens nothing.
      this.#guard.callOver(callId);
      this.#live.delete(callId);
      if (host !== undefined) this.#guard.closeDialog(callId, host);
    });
    if (!accepted || closed) return void invitation.reject({ statusCode: accepted ? 503 : 403 }).catch(() => undefined);
    const { maxCalls, busyRetrySeconds } = this.#opts.settings.inbound ?? DEFAULT_INBOUND_LIMITS;
    if (this.#live.size >= maxCalls) {
      this.#guard.counters.busy++;
      this.#guard.refusals.note('busy');
      // 486, not 503: the trunk reached us and we are busy; a 503 would send the PBX to another server (RFC 3261 §21.4.24, §21.5.4).
      const extraHeaders = [`Retry-After: ${busyRetrySeconds}`];
      return void invitation.reject({ statusCode: 486, reasonPhrase: 'Busy Here', extraHeaders }).catch(() => undefined);
    }
    this.#live.add(callId);
    ring(accepted.invite);
  }

  /** Calls sip.js holds now (at most sip.inbound.max_calls). */
  get liveCalls(): number { return this.#live.size; }

  /** Forgets what waits for sip.js (the account closes). */
  close(): void {
    for (const { timer } of this.#accepted.values()) this.#opts.clock.clearTimeout(timer);
    this.#accepted.clear();
    this.#guard.close();
  }
}
