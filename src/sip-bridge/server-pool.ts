// Which of an account's servers (the registrar, then sip.accounts[].secondary_registrars
// in order) it uses now: the next one when the active one stops answering, and back
// to the primary once the primary has answered every OPTIONS probe for the hold-down
// (sip.failback_hold_seconds), so a primary that answers only now and then never
// pulls the account back and forth.
import { TypedEmitter, type Clock } from '../core/index.ts';
import { formatHost, type HostPort } from './sip-wire.ts';

export type ServerPoolEvents = {
  /** A keep-alive OPTIONS to the server in use came back: answered or not (see keepalivesInFlight). */
  keepalive: [answered: boolean];
  /** The primary answered every probe for the hold-down: the account returns to it. */
  primaryBack: [];
  /** A probe of the primary came back: answered or not. */
  probe: [answered: boolean];
};

export interface ServerPoolOptions {
  /** The primary first, then the secondaries in order (at least one). */
  servers: readonly HostPort[];
  clock: Clock;
  /** How long the primary must answer every probe before the account returns to it. */
  holdDownMs: number;
  /** How often the primary is probed while a secondary is active. */
  probeMs: number;
  /** One OPTIONS to the server: true when it answered (any final answer but a local 408/503). */
  probe: (server: HostPort) => Promise<boolean>;
}

/** The primary's probes since the account left it: answered, missed. */
export interface ProbeCounts { answered: number; missed: number }

export const serverName = (s: HostPort): string => `${formatHost(s.host)}:${s.port}`;

export class ServerPool extends TypedEmitter<ServerPoolEvents> {
  readonly #opts: ServerPoolOptions;
  /** The primary first (replaced when a registrar domain resolves anew, replace()). */
  #servers: readonly HostPort[];
  #active = 0;
  /** Servers that stopped answering since the last registration (a full round: back off). */
  #failedInRow = 0;
  #probeTimer?: NodeJS.Timeout;
  #probing = false;
  /**
   * Bumped by every start and stop of probing: a probe still in flight (an OPTIONS waits up to 64·T1)
   * that comes back in another generation belongs to a stay the account has left and counts for
   * nothing — else it would count towards the new hold-down and arm a second timer chain (review s22 #19).
   */
  #generation = 0;
  /** Since when the primary has answered every probe (undefined: its last probe went unanswered, or none yet). */
  #answeringSince?: number;
  /** Times the account moved to another server (failovers and returns). */
  switches = 0;
  readonly probes: ProbeCounts = { answered: 0, missed: 0 };
  /** Keep-alive OPTIONS sent to the server in use and not answered or timed out yet. */
  keepalivesInFlight = 0;
  #closed = false;

  constructor(opts: ServerPoolOptions) {
    super();
    if (opts.servers.length === 0) throw new Error('ServerPool: no server');
    this.#opts = opts;
    this.#servers = opts.servers;
  }

  get active(): HostPort { return this.#servers[this.#active]!; }

  /** A keep-alive to the server in use went out (ServerRegistration.keepAlive). */
  keepaliveSent(): void { this.keepalivesInFlight++; }

  /** That keep-alive came back (answered) or ended without an answer. */
  keepaliveSettled(answered: boolean): void {
    this.keepalivesInFlight = Math.max(0, this.keepalivesInFlight - 1);
    this.safeEmit('keepalive', answered);
  }
  get primary(): HostPort { return this.#servers[0]!; }
  get onPrimary(): boolean { return this.#active === 0; }
  get servers(): readonly HostPort[] { return this.#servers; }

  /**
   * The active server stopped answering (REGISTER or OPTIONS timed out, the send failed, 503):
   * the next one becomes active (after the last, the primary). `round`: every server failed
   * since the last registration — the caller backs off before trying again.
   */
  failed(): { moved: boolean; round: boolean } {
    this.#failedInRow++;
    const round = this.#failedInRow >= this.#servers.length;
    if (this.#servers.length === 1) return { moved: false, round: true };
    this.#stopProbing();
    this.#active = (this.#active + 1) % this.#servers.length;
    this.switches++;
    return { moved: true, round };
  }

  /**
   * The servers changed (a registrar domain resolved anew, sip-dns.ts). The one in use stays if it is still
   * among them (while it is not the first, the new primary is probed as after a failover); `moved`: it is
   * gone, and the account goes to the new first server.
   */
  replace(servers: readonly HostPort[]): { moved: boolean } {
    if (servers.length === 0) throw new Error('ServerPool: no server');
    const inUse = serverName(this.active);
    this.#servers = servers;
    const at = servers.findIndex((s) => serverName(s) === inUse);
    if (at >= 0) {
      this.#active = at;
      if (at === 0) this.#stopProbing();
      else if (!this.#probing) this.#startProbing();
      return { moved: false };
    }
    this.#stopProbing();
    this.#active = 0;
    this.#failedInRow = 0;
    return { moved: true };
  }

  /** Registered at the active server. While that is a secondary, the primary is probed. */
  registered(): void {
    this.#failedInRow = 0;
    if (this.onPrimary) this.#stopProbing();
    else if (!this.#probing) this.#startProbing();
  }

  /** The account moves back to the primary (after primaryBack). */
  returnToPrimary(): void {
    this.#stopProbing();
    if (this.onPrimary) return;
    this.#active = 0;
    this.#failedInRow = 0;
    this.switches++;
  }

  #startProbing(): void {
    this.#generation++;
    this.#probing = true;
    this.#answeringSince = undefined;
    this.#armProbe();
  }

  #armProbe(): void {
    const { clock, probeMs } = this.#opts;
    this.#probeTimer = clock.setTimeout(() => {
      this.#probeTimer = undefined;
      void this.#probePrimary();
    }, probeMs);
  }

  async #probePrimary(): Promise<void> {
    const generation = this.#generation;
    const answered = await this.#opts.probe(this.primary).catch(() => false);
    if (!this.#probing || this.#closed || generation !== this.#generation) return;
    const now = this.#opts.clock.now();
    this.safeEmit('probe', answered);
    if (!answered) {
      this.probes.missed++;
      this.#answeringSince = undefined;
    } else {
      this.probes.answered++;
      this.#answeringSince ??= now;
      if (now - this.#answeringSince >= this.#opts.holdDownMs) {
        this.#stopProbing();
        this.safeEmit('primaryBack');
        return;
      }
    }
    this.#armProbe();
  }

  #stopProbing(): void {
    this.#generation++;
    this.#probing = false;
    this.#answeringSince = undefined;
    if (this.#probeTimer) this.#opts.clock.clearTimeout(this.#probeTimer);
    this.#probeTimer = undefined;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopProbing();
  }
}
