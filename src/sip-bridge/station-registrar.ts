// Portier as the SIP door stations' registrar (issue 13, slice 3): the guard in
// front of sip.js on the stations' socket answers REGISTER itself, statelessly —
// 401 with a digest challenge, 200 with the binding's granted expiry after the
// station proved its stored secret, 423 below sip.stations.min_expires, 403 for an
// unknown station or wrong credentials — and lets through only a station's
// authenticated INVITE (to sip.js, as an IncomingCall), in-dialog requests,
// CANCEL and OPTIONS. Refusals are counted per reason and logged in bounded volume
// (one summary line per interval), as on the accounts' sockets.
import type { Logger } from 'pino';
import { TypedEmitter, type Clock } from '../core/index.ts';
import { DigestServer, parseAuthorization, type DigestFailure } from './digest.ts';
import { InboundGuard, parseFrom, requestUser, type AcceptedInvite, type Admission, type GuardVerdict, type InboundLimits } from './inbound-guard.ts';
import { headerValue, topVia, type HostPort, type WireMessage } from './sip-wire.ts';
import type { RequestGuard } from './udp-transport.ts';
import { sameSipUri } from './sip-uri.ts';

/** What the registrar needs of the stored door stations: a station's id and digest secret by its SIP user. */
export interface StationDirectory {
  credentialsOf(sipUser: string): { stationId: string; secret: string } | undefined;
}

export interface StationBinding {
  stationId: string;
  sipUser: string;
  /** The Contact URI the station registered. */
  contact: string;
  /** Where its REGISTER came from. */
  source: HostPort;
  expiresAt: number;
}

export interface StationRegistrarOptions {
  directory: StationDirectory;
  realm: string;
  minExpires: number;
  maxExpires: number;
  limits: InboundLimits;
  clock: Clock;
  logger: Logger;
  /** The UA's own user: an accepted INVITE's Request-URI is rewritten to it (sip.js answers 404 to any other). */
  ownUser: string;
}

export type StationRegistrarEvents = {
  /** A station registered (first time or after it was offline). */
  online: [StationBinding];
  /** A station's binding ended: expired, removed (Expires: 0), or the station was deleted/changed. */
  offline: [{ stationId: string; why: 'expired' | 'unregistered' | 'removed' }];
};

/** A station's call that passed the digest check: which station, and what it dialled. */
export interface StationInvite extends AcceptedInvite {
  stationId: string;
}

export class StationRegistrar extends TypedEmitter<StationRegistrarEvents> {
  readonly #opts: StationRegistrarOptions;
  readonly #digest: DigestServer;
  /** Rate limit per source and the refusal summary, shared with the accounts' guard. */
  readonly #limiter: InboundGuard;
  readonly #bindings = new Map<string, { binding: StationBinding; timer: NodeJS.Timeout }>();
  /** Station INVITEs that passed, by Call-ID, until sip.js hands them over (or 64·T1). */
  readonly #accepted = new Map<string, { invite: StationInvite; timer: NodeJS.Timeout }>();
  /** Nonces that opened an INVITE (branch), kept for the nonce's lifetime: a replay in another transaction is challenged again. */
  readonly #usedNonces = new Map<string, { branch: string; at: number }>();
  readonly counters = { registered: 0, challenged: 0, refused: 0, invites: 0 };
  #closed = false;

  constructor(opts: StationRegistrarOptions) {
    super();
    this.#opts = opts;
    this.#digest = new DigestServer({ ttlMs: opts.limits.nonceTtlMs });
    this.#limiter = new InboundGuard({ accountId: 'door-stations', accountUser: opts.ownUser, limits: opts.limits, clock: opts.clock, logger: opts.logger });
  }

  /** The binding of a station now (undefined: offline). */
  binding(stationId: string): StationBinding | undefined { return this.#bindings.get(stationId)?.binding; }
  get bindings(): StationBinding[] { return [...this.#bindings.values()].map((b) => b.binding); }

  /** The accepted INVITE of this Call-ID, once (sip.js's onInvite takes it). */
  takeInvite(callId: string): StationInvite | undefined {
    const accepted = this.#accepted.get(callId);
    if (!accepted) return undefined;
    this.#opts.clock.clearTimeout(accepted.timer);
    this.#accepted.delete(callId);
    return accepted.invite;
  }

  /** A station was changed or deleted: its binding goes (it registers again with what it has now). */
  forget(stationId: string): void {
    this.#unbind(stationId, 'removed');
  }

  /** The guard as the UDP transport asks it. */
  transportGuard(): RequestGuard {
    return {
      tag: this.#limiter.tag,
      admit: (host: string, datagram?: Buffer): Admission => this.#limiter.admit(host, datagram),
      limitedReply: () => this.#limiter.limitedReply(),
      check: (msg, source) => this.#check(msg, source),
    };
  }

  #check(msg: WireMessage, source: HostPort): GuardVerdict {
    const toTag = /;\s*tag=([^;\s>]+)/i.exec(headerValue(msg, 'to') ?? '')?.[1];
    if (msg.method === 'ACK') return toTag === this.#limiter.tag ? { action: 'drop' } : { action: 'deliver' };
    if (msg.method === 'REGISTER') return this.#register(msg, source);
    if (toTag !== undefined || msg.method === 'CANCEL' || msg.method === 'OPTIONS') return { action: 'deliver' };
    if (msg.method === 'INVITE') return this.#invite(msg, source);
    return this.#refuse(403, 'Forbidden', 'outside-dialog');
  }

  /** The station a request authenticates as: its Authorization checked against the station's secret. */
  #authenticate(msg: WireMessage, source: HostPort): { stationId: string; sipUser: string } | GuardVerdict {
    const callId = headerValue(msg, 'call-id') ?? '';
    const now = this.#opts.clock.now();
    const header = headerValue(msg, 'authorization');
    if (header === undefined) return this.#challenge(callId, source, now);
    const auth = parseAuthorization(header);
    if (!auth) return this.#refuse(403, 'Forbidden', 'digest-malformed');
    if (!sameSipUri(auth.uri, msg.requestUri ?? '')) {
      this.#limiter.refusals.note('uri-mismatch');
      return this.#challenge(callId, source, now);
    }
    const station = this.#opts.directory.credentialsOf(auth.username);
    if (!station) return this.#refuse(403, 'Forbidden', 'unknown-station');
    // The station speaks for itself only: From must name the user it authenticates as.
    if (parseFrom(headerValue(msg, 'from') ?? '').user !== auth.username) return this.#refuse(403, 'Forbidden', 'digest-wrong-user');
    const failure: DigestFailure | undefined = this.#digest.verify(auth, { method: msg.method!, callId, source: source.host, now }, {
      username: auth.username, password: station.secret, realm: this.#opts.realm,
    });
    if (failure === 'stale' || failure === 'foreign-nonce') return this.#challenge(callId, source, now, failure === 'stale');
    if (failure) return this.#refuse(403, 'Forbidden', `digest-${failure}`);
    if (msg.method === 'INVITE') {
      // A nonce opens one INVITE transaction: its retransmissions pass, a replay in another is challenged again.
      const branch = topVia(msg)?.params.get('branch') ?? '';
      this.#pruneNonces(now);
      const used = this.#usedNonces.get(auth.nonce);
      if (used && used.branch !== branch) return this.#challenge(callId, source, now, true);
      if (!used) this.#usedNonces.set(auth.nonce, { branch, at: now });
    }
    return { stationId: station.stationId, sipUser: auth.username };
  }

  #register(msg: WireMessage, source: HostPort): GuardVerdict {
    const who = this.#authenticate(msg, source);
    if ('action' in who) return who;
    const contact = headerValue(msg, 'contact');
    const asked = requestedExpires(msg, contact);
    // A query (no Contact): the current binding, if any.
    if (contact === undefined) return this.#ok(this.binding(who.stationId));
    if (contact.trim() === '*' || asked === 0) {
      this.#unbind(who.stationId, 'unregistered');
      return { action: 'reply', status: 200, reason: 'OK', headers: [] };
    }
    const { minExpires, maxExpires } = this.#opts;
    if (asked !== undefined && asked < minExpires) return { action: 'reply', status: 423, reason: 'Interval Too Brief', headers: [`Min-Expires: ${minExpires}`] };
    const granted = Math.min(asked ?? maxExpires, maxExpires);
    const uri = /<([^>]*)>/.exec(contact)?.[1] ?? contact.split(';')[0]!.trim();
    this.#bind({ stationId: who.stationId, sipUser: who.sipUser, contact: uri, source, expiresAt: this.#opts.clock.now() + granted * 1000 });
    this.counters.registered++;
    return this.#ok(this.binding(who.stationId));
  }

  #ok(binding: StationBinding | undefined): GuardVerdict {
    if (!binding) return { action: 'reply', status: 200, reason: 'OK', headers: [] };
    const left = Math.max(0, Math.round((binding.expiresAt - this.#opts.clock.now()) / 1000));
    return { action: 'reply', status: 200, reason: 'OK', headers: [`Contact: <${binding.contact}>;expires=${left}`, `Expires: ${left}`] };
  }

  #bind(binding: StationBinding): void {
    const before = this.#bindings.get(binding.stationId);
    if (before) this.#opts.clock.clearTimeout(before.timer);
    const timer = this.#opts.clock.setTimeout(() => this.#unbind(binding.stationId, 'expired'), binding.expiresAt - this.#opts.clock.now());
    this.#bindings.set(binding.stationId, { binding, timer });
    if (!before) {
      this.#opts.logger.info({ station: binding.stationId, contact: `${binding.source.host}:${binding.source.port}` }, 'sip: door station registered / Türstation registriert');
      this.safeEmit('online', binding);
    }
  }

  #unbind(stationId: string, why: 'expired' | 'unregistered' | 'removed'): void {
    const bound = this.#bindings.get(stationId);
    if (!bound) return;
    this.#opts.clock.clearTimeout(bound.timer);
    this.#bindings.delete(stationId);
    this.#opts.logger.info({ station: stationId, why }, 'sip: door station offline / Türstation nicht mehr registriert');
    this.safeEmit('offline', { stationId, why });
  }

  #invite(msg: WireMessage, source: HostPort): GuardVerdict {
    const who = this.#authenticate(msg, source);
    if ('action' in who) return who;
    const callId = headerValue(msg, 'call-id') ?? '';
    if (!this.#accepted.has(callId)) {
      this.counters.invites++;
      const from = parseFrom(headerValue(msg, 'from') ?? '');
      const invite: StationInvite = { callId, dialled: requestUser(msg.requestUri ?? '') ?? '', caller: who.sipUser, callerName: from.name, source, stationId: who.stationId };
      const timer = this.#opts.clock.setTimeout(() => this.#accepted.delete(callId), this.#opts.limits.nonceTtlMs * 2);
      this.#accepted.set(callId, { invite, timer });
    }
    // sip.js answers 404 to a Request-URI user that is not its own: the dialled number is kept above.
    const uri = msg.requestUri!.replace(/^(sips?:)[^@;?]+@/i, `$1${this.#opts.ownUser}@`);
    msg.requestUri = uri;
    msg.lines[0] = `${msg.method} ${uri} SIP/2.0`;
    return { action: 'deliver' };
  }

  #challenge(callId: string, source: HostPort, now: number, stale = false): GuardVerdict {
    this.counters.challenged++;
    const nonce = this.#digest.nonce(now, callId, source.host);
    return { action: 'reply', status: 401, reason: 'Unauthorized', headers: [`WWW-Authenticate: ${this.#digest.challenge(this.#opts.realm, nonce, stale)}`] };
  }

  #refuse(status: number, reason: string, why: Parameters<InboundGuard['refusals']['note']>[0]): GuardVerdict {
    this.counters.refused++;
    this.#limiter.refusals.note(why);
    return { action: 'reply', status, reason };
  }

  #pruneNonces(now: number): void {
    for (const [nonce, { at }] of this.#usedNonces) {
      if (now - at <= this.#opts.limits.nonceTtlMs) break;
      this.#usedNonces.delete(nonce);
    }
  }

  /** Every binding ends (no offline events: the gateway stops), timers cleared, refusals logged. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const { timer } of this.#bindings.values()) this.#opts.clock.clearTimeout(timer);
    for (const { timer } of this.#accepted.values()) this.#opts.clock.clearTimeout(timer);
    this.#bindings.clear();
    this.#accepted.clear();
    this.#limiter.close();
  }
}

/** The expiry a REGISTER asks for: its Contact's expires parameter, else its Expires header; undefined: none named. */
function requestedExpires(msg: WireMessage, contact: string | undefined): number | undefined {
  const param = contact && /;\s*expires\s*=\s*(\d+)/i.exec(contact.replace(/<[^>]*>/, ''))?.[1];
  const value = param ?? headerValue(msg, 'expires')?.trim();
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}
