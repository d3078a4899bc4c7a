// Portier as the SIP door stations' registrar (issue 13, slice 3): the guard in
// front of sip.js on the stations' socket answers REGISTER itself, statelessly —
// 401 with a digest challenge, 200 with the binding's granted expiry after the
// station proved its stored secret, 423 below sip.stations.min_expires, 403 for an
// unknown station or wrong credentials — and lets through only a station's
// authenticated INVITE (to sip.js, as an IncomingCall), in-dialog requests,
// CANCEL and OPTIONS. Refusals are counted per reason and logged in bounded volume
// (one summary line per interval), as on the accounts' sockets. The digest
// check and the used-nonce ledger are the accounts' (digest-gate.ts): a nonce
// opens one INVITE transaction and one call — the station's call reports its
// end here (`take`), so the same INVITE bytes after it are challenged afresh —
// and one registration (the same REGISTER Authorization again binds nothing).
// Over TCP/TLS a binding lives on its connection (RFC 5626's flow): requests to
// the station go over the connection it registered or called on — a call's found by
// its dialog as Portier named it (Call-ID and Portier's own tag: never what a peer
// alone chooses, review s26 #11) —, it is not closed
// for idleness while it carries a binding or a call, and when it closes the
// binding goes at once (offline, 'connection-lost') — Portier never connects to a
// station, so a binding without its connection could reach nothing.
import type { Logger } from 'pino';
import type { Invitation } from 'sip.js';
import { TypedEmitter, type Clock } from '../core/index.ts';
import type { Authorization } from './digest.ts';
import { InboundGuard, parseFrom, requestUser, type AcceptedInvite, type Admission, type GuardVerdict, type InboundLimits } from './inbound-guard.ts';
import { headerValue, uriTarget, type HostPort, type WireMessage } from './sip-wire.ts';
import type { RequestGuard } from './udp-transport.ts';
import type { RefusalReason } from './refusal-log.ts';
import { DigestGate, rewriteRequestUser } from './digest-gate.ts';
import { keyOf } from './stream-connection.ts';
import type { StreamFlows } from './stream-flows.ts';

/** How a station reaches Portier: the socket its REGISTER or INVITE came in on. */
export type StationTransport = 'udp' | 'tcp' | 'tls';

/** What the registrar needs of the stored door stations: a station's id and digest secret by its SIP user. */
export interface StationDirectory {
  credentialsOf(sipUser: string): { stationId: string; secret: string } | undefined;
}

export interface StationBinding {
  stationId: string;
  sipUser: string;
  /** The Contact URI the station registered. */
  contact: string;
  /** Where its REGISTER came from (over TCP/TLS: its connection's address and port). */
  source: HostPort;
  /** What it registered over. */
  transport: StationTransport;
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
  /** How long an INVITE server transaction may absorb retransmissions (64·T1): a used nonce passes again only within it. */
  transactionMs?: number;
  /** Calls of one station at a time; past it 486 (sip.stations.max_calls; default 1). */
  maxCalls?: number;
  /** Calls of all stations at a time; past it 486 (sip.stations.max_calls_total; default 4). */
  maxCallsTotal?: number;
}

/** What the registrar needs of sip.js's Invitation: its Call-ID and tags (the station's From tag, our To tag), its state changes, a way to refuse it. */
export type StationInvitation = Pick<Invitation, 'request' | 'stateChange' | 'reject'>;

export type StationRegistrarEvents = {
  /** A station registered (first time or after it was offline). */
  online: [StationBinding];
  /** A station's binding ended: expired, removed (Expires: 0), or the station was deleted/changed. */
  offline: [{ stationId: string; why: OfflineWhy }];
};

/** Why a binding ended: expired, removed by the station (Expires: 0), the station changed or deleted, its TCP/TLS connection closed. */
type OfflineWhy = 'expired' | 'unregistered' | 'removed' | 'connection-lost';

/** A station's call that passed the digest check: which station, what it dialled, over what. */
export interface StationInvite extends AcceptedInvite {
  stationId: string;
  transport: StationTransport;
}

/** A connection carrying a binding or a call stays open this much longer than the longest registration (its refresh touches it). */
const FLOW_GRACE_MS = 60_000;

export class StationRegistrar extends TypedEmitter<StationRegistrarEvents> {
  readonly #opts: StationRegistrarOptions;
  /** Challenges, digest checks and used nonces, as on the accounts' sockets. */
  readonly #gate: DigestGate;
  /** Rate limit per source, live dialogs and the refusal summary, shared with the accounts' guard. */
  readonly #limiter: InboundGuard;
  readonly #bindings = new Map<string, { binding: StationBinding; timer: NodeJS.Timeout; order: RegisterOrder }>();
  /**
   * Station INVITEs that passed, by Call-ID and the station's From tag (inviteKey), until sip.js hands them over (or 64·T1),
   * with the nonce that opened each: the call's key in the digest gate (callOver), not its Call-ID (review s27 #3).
   */
  readonly #accepted = new Map<string, { invite: StationInvite; timer: NodeJS.Timeout; nonce: string }>();
  readonly counters = { registered: 0, challenged: 0, refused: 0, invites: 0, busy: 0 };
  /** Station calls sip.js holds (handed over, not terminated), by station: their dialogs (callKey). */
  readonly #live = new Map<string, Set<string>>();
  /** The transports' listeners for flows a binding or call left (stream-flows.ts onReleased). */
  readonly #released: Record<'tcp' | 'tls', Set<(peer: HostPort) => void>> = { tcp: new Set(), tls: new Set() };
  /**
   * Where each live station call came from (its connection), by its dialog as Portier named it — Call-ID and our own
   * tag (callKey): its in-dialog requests go back there. Not by Call-ID alone: another station's INVITE with a live
   * Call-ID (a counter-style one, or forged) would take over that call's flow (review s26 #11).
   */
  readonly #callSources = new Map<string, { source: HostPort; transport: StationTransport }>();
  #liveTotal = 0;
  #closed = false;

  constructor(opts: StationRegistrarOptions) {
    super();
    this.#opts = opts;
    this.#limiter = new InboundGuard({ accountId: 'door-stations', accountUser: opts.ownUser, limits: opts.limits, clock: opts.clock, logger: opts.logger });
    this.#gate = new DigestGate({
      nonceTtlMs: opts.limits.nonceTtlMs, transactionMs: opts.transactionMs ?? 32_000, clock: opts.clock, refusals: this.#limiter.refusals, counters: this.counters,
    });
  }

  /** The binding of a station now (undefined: offline). */
  binding(stationId: string): StationBinding | undefined { return this.#bindings.get(stationId)?.binding; }
  get bindings(): StationBinding[] { return [...this.#bindings.values()].map((b) => b.binding); }

  /** The accepted INVITE of this Call-ID and station tag (its From tag), once (sip.js's onInvite takes it). */
  takeInvite(callId: string, stationTag: string | undefined): StationInvite | undefined {
    return this.#takeAccepted(callId, stationTag)?.invite;
  }

  #takeAccepted(callId: string, stationTag: string | undefined): { invite: StationInvite; nonce: string } | undefined {
    const key = inviteKey(callId, stationTag);
    const accepted = this.#accepted.get(key);
    if (!accepted) return undefined;
    this.#opts.clock.clearTimeout(accepted.timer);
    this.#accepted.delete(key);
    return accepted;
  }

  /**
   * sip.js's onInvite: the accepted INVITE of this Call-ID, once, for the caller to ring — its dialog then spares
   * the station's requests the per-source bucket, and its end makes its nonce worthless. Anything the registrar did
   * not accept gets 403, 503 once the stations' socket closes, and 486 Busy Here (Retry-After) past the station's
   * or all stations' calls at a time (undefined then).
   */
  take(invitation: StationInvitation, closed: boolean): StationInvite | undefined {
    const { callId, fromTag, toTag } = invitation.request;
    const accepted = this.#takeAccepted(callId, fromTag);
    const invite = accepted?.invite;
    // The call is its dialog (Call-ID and our tag) in the limiter, and its INVITE's nonce in the digest gate: the end of
    // another call with the same Call-ID (from the same address) leaves both as they are (review s27 #3).
    const dialog = callKey(callId, toTag);
    const host = invite?.source.host;
    let counted = false;
    invitation.stateChange.addListener((state) => {
      if (state === 'Established' && host !== undefined) this.#limiter.openDialog(callId, host, dialog);
      if (state !== 'Terminated') return;
      if (accepted) this.#gate.callOver(accepted.nonce);
      if (host !== undefined) this.#limiter.closeDialog(callId, host, dialog);
      if (counted) this.#callEnded(invite!.stationId, dialog);
    });
    if (!invite || closed || this.#closed) return void invitation.reject({ statusCode: invite ? 503 : 403 }).catch(() => undefined);
    if (this.#busy(invite.stationId)) {
      this.counters.busy++;
      this.#limiter.refusals.note('busy');
      const extraHeaders = [`Retry-After: ${this.#opts.limits.busyRetrySeconds}`];
      return void invitation.reject({ statusCode: 486, reasonPhrase: 'Busy Here', extraHeaders }).catch(() => undefined);
    }
    let calls = this.#live.get(invite.stationId);
    if (!calls) this.#live.set(invite.stationId, calls = new Set());
    calls.add(dialog);
    this.#callSources.set(dialog, { source: invite.source, transport: invite.transport });
    this.#liveTotal++;
    counted = true;
    return invite;
  }

  /** Station calls sip.js holds now (all stations). */
  get liveCalls(): number { return this.#liveTotal; }

  /** Whether the station, or all stations together, have as many calls as they may. */
  #busy(stationId: string): boolean {
    const { maxCalls = 1, maxCallsTotal = 4 } = this.#opts;
    return (this.#live.get(stationId)?.size ?? 0) >= maxCalls || this.#liveTotal >= maxCallsTotal;
  }

  #callEnded(stationId: string, dialog: string): void {
    const call = this.#callSources.get(dialog);
    this.#callSources.delete(dialog);
    if (call) this.#release(call.transport, call.source);
    const calls = this.#live.get(stationId);
    if (!calls?.delete(dialog)) return;
    this.#liveTotal--;
    if (calls.size === 0) this.#live.delete(stationId);
  }

  /** A station was changed or deleted: its binding goes (it registers again with what it has now). */
  forget(stationId: string): void {
    this.#unbind(stationId, 'removed');
  }

  /** The guard as the transport of `transport` asks it (one tag for all: a station's dialog is the registrar's on any). */
  transportGuard(transport: StationTransport = 'udp'): RequestGuard {
    return {
      tag: this.#limiter.tag,
      admit: (host: string, datagram?: Buffer): Admission => this.#limiter.admit(host, datagram),
      limitedReply: () => this.#limiter.limitedReply(),
      check: (msg, source) => this.#check(msg, source, transport),
    };
  }

  /** The stations' flows on the TCP or TLS socket: their calls' and bindings' connections (stream-flows.ts). */
  flows(transport: 'tcp' | 'tls'): StreamFlows {
    const sameFlow = (a: HostPort, b: HostPort) => keyOf(a.host, a.port) === keyOf(b.host, b.port);
    const onIt = (peer: HostPort) => [...this.#bindings.values()].map((b) => b.binding).filter((b) => b.transport === transport && sameFlow(b.source, peer));
    return {
      flowOf: (msg, target) => {
        // Our in-dialog request names our tag in From (sip.js's random tag: no peer chooses it).
        const call = this.#callSources.get(callKey(headerValue(msg, 'call-id') ?? '', tagOf(headerValue(msg, 'from'))));
        if (call) return call.transport === transport ? call.source : undefined;
        return this.bindings.find((b) => b.transport === transport && contactMatches(b.contact, target))?.source;
      },
      idleMsOf: (peer) => {
        const calling = [...this.#callSources.values()].some((c) => c.transport === transport && sameFlow(c.source, peer));
        return calling || onIt(peer).length > 0 ? this.#opts.maxExpires * 1000 + FLOW_GRACE_MS : undefined;
      },
      closed: (peer) => { for (const b of onIt(peer)) this.#unbind(b.stationId, 'connection-lost'); },
      onReleased: (released) => { this.#released[transport].add(released); },
    };
  }

  /** A binding or call left this flow: its transport re-arms the connection's idle timer. */
  #release(transport: StationTransport, source: HostPort): void {
    if (transport === 'udp') return;
    for (const released of this.#released[transport]) released(source);
  }

  #check(msg: WireMessage, source: HostPort, transport: StationTransport): GuardVerdict {
    const toTag = tagOf(headerValue(msg, 'to'));
    if (msg.method === 'ACK') return toTag === this.#limiter.tag ? { action: 'drop' } : { action: 'deliver' };
    if (msg.method === 'REGISTER') return this.#register(msg, source, transport);
    if (toTag !== undefined || msg.method === 'CANCEL' || msg.method === 'OPTIONS') return { action: 'deliver' };
    if (msg.method === 'INVITE') return this.#invite(msg, source, transport);
    return this.#refuse(403, 'Forbidden', 'outside-dialog');
  }

  /** The station a request authenticates as: its Authorization checked against the station's secret. */
  #authenticate(msg: WireMessage, source: HostPort): { stationId: string; sipUser: string; auth: Authorization } | GuardVerdict {
    let stationId = '';
    const proved = this.#gate.verify(msg, source, this.#opts.realm, (auth): { username: string; password: string; realm: string } | RefusalReason => {
      const station = this.#opts.directory.credentialsOf(auth.username);
      if (!station) return 'unknown-station';
      // The station speaks for itself only: From must name the user it authenticates as.
      if (parseFrom(headerValue(msg, 'from') ?? '').user !== auth.username) return 'digest-wrong-user';
      stationId = station.stationId;
      return { username: auth.username, password: station.secret, realm: this.#opts.realm };
    });
    if (!('auth' in proved)) return proved;
    return { stationId, sipUser: proved.auth.username, auth: proved.auth };
  }

  #register(msg: WireMessage, source: HostPort, transport: StationTransport): GuardVerdict {
    const who = this.#authenticate(msg, source);
    if ('action' in who) return who;
    // One registration per Authorization: the same bytes again (with another Expires or Contact: a replay from a
    // spoofed address) bind nothing; a retransmission of the one that bound is answered with the binding as it is.
    const use = this.#gate.useForRegister(who.auth, msg);
    if (use === 'replay') return this.#gate.challenge(this.#opts.realm, headerValue(msg, 'call-id') ?? '', source, true);
    if (use === 'retransmission') return this.#ok(this.binding(who.stationId));
    // RFC 3261 §10.3 step 7: within one Call-ID only a higher CSeq changes the binding (a late or reordered one fails).
    const order = registerOrder(msg);
    const last = this.#bindings.get(who.stationId)?.order;
    if (last && last.callId === order.callId && order.cseq <= last.cseq) return this.#refuse(400, 'Bad Request', 'register-order');
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
    this.#bind({ stationId: who.stationId, sipUser: who.sipUser, contact: uri, source, transport, expiresAt: this.#opts.clock.now() + granted * 1000 }, order);
    this.counters.registered++;
    return this.#ok(this.binding(who.stationId));
  }

  #ok(binding: StationBinding | undefined): GuardVerdict {
    if (!binding) return { action: 'reply', status: 200, reason: 'OK', headers: [] };
    const left = Math.max(0, Math.round((binding.expiresAt - this.#opts.clock.now()) / 1000));
    return { action: 'reply', status: 200, reason: 'OK', headers: [`Contact: <${binding.contact}>;expires=${left}`, `Expires: ${left}`] };
  }

  #bind(binding: StationBinding, order: RegisterOrder): void {
    const before = this.#bindings.get(binding.stationId);
    if (before) this.#opts.clock.clearTimeout(before.timer);
    const timer = this.#opts.clock.setTimeout(() => this.#unbind(binding.stationId, 'expired'), binding.expiresAt - this.#opts.clock.now());
    this.#bindings.set(binding.stationId, { binding, timer, order });
    const old = before?.binding;
    if (old && (old.transport !== binding.transport || keyOf(old.source.host, old.source.port) !== keyOf(binding.source.host, binding.source.port))) {
      this.#release(old.transport, old.source);
    }
    if (!before) {
      this.#opts.logger.info({ station: binding.stationId, contact: `${binding.source.host}:${binding.source.port}` }, 'sip: door station registered / Türstation registriert');
      this.safeEmit('online', binding);
    }
  }

  #unbind(stationId: string, why: OfflineWhy): void {
    const bound = this.#bindings.get(stationId);
    if (!bound) return;
    this.#opts.clock.clearTimeout(bound.timer);
    this.#bindings.delete(stationId);
    this.#release(bound.binding.transport, bound.binding.source);
    this.#opts.logger.info({ station: stationId, why }, 'sip: door station offline / Türstation nicht mehr registriert');
    this.safeEmit('offline', { stationId, why });
  }

  #invite(msg: WireMessage, source: HostPort, transport: StationTransport): GuardVerdict {
    const who = this.#authenticate(msg, source);
    if ('action' in who) return who;
    const callId = headerValue(msg, 'call-id') ?? '';
    // Its retransmissions are sip.js's transaction's to absorb: only the nonce's first INVITE is kept for the hand-over.
    if (this.#gate.useForInvite(who.auth.nonce, msg, who.auth.nonce)) {
      this.counters.invites++;
      const from = parseFrom(headerValue(msg, 'from') ?? '');
      const invite: StationInvite = { callId, dialled: requestUser(msg.requestUri ?? '') ?? '', caller: who.sipUser, callerName: from.name, source, stationId: who.stationId, transport };
      const key = inviteKey(callId, tagOf(headerValue(msg, 'from')));
      const before = this.#accepted.get(key);
      if (before) this.#opts.clock.clearTimeout(before.timer);
      const timer = this.#opts.clock.setTimeout(() => this.#accepted.delete(key), this.#opts.limits.nonceTtlMs * 2);
      this.#accepted.set(key, { invite, timer, nonce: who.auth.nonce });
    }
    // sip.js answers 404 to a Request-URI user that is not its own: the dialled number is kept above.
    rewriteRequestUser(msg, this.#opts.ownUser);
    return { action: 'deliver' };
  }

  #refuse(status: number, reason: string, why: RefusalReason): GuardVerdict {
    return this.#gate.refuse(status, reason, why);
  }

  /** Every binding ends (no offline events: the gateway stops), timers cleared, refusals logged. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const { timer } of this.#bindings.values()) this.#opts.clock.clearTimeout(timer);
    for (const { timer } of this.#accepted.values()) this.#opts.clock.clearTimeout(timer);
    this.#bindings.clear();
    this.#accepted.clear();
    this.#callSources.clear();
    this.#limiter.close();
  }
}

/** The tag parameter of a From or To header value (undefined: none). */
function tagOf(value: string | undefined): string | undefined {
  return /;\s*tag=([^;\s>]+)/i.exec(value ?? '')?.[1];
}

/** An accepted INVITE until sip.js hands it over: its Call-ID and the station's From tag. */
const inviteKey = (callId: string, stationTag: string | undefined): string => `${callId}\n${stationTag ?? ''}`;

/** A station call's dialog as Portier named it: its Call-ID and our own tag (the To tag of our answers, the From tag of our requests). */
const callKey = (callId: string, ownTag: string | undefined): string => `${callId}\n${ownTag ?? ''}`;

/** The expiry a REGISTER asks for: its Contact's expires parameter, else its Expires header; undefined: none named. */
function requestedExpires(msg: WireMessage, contact: string | undefined): number | undefined {
  const param = contact && /;\s*expires\s*=\s*(\d+)/i.exec(contact.replace(/<[^>]*>/, ''))?.[1];
  const value = param ?? headerValue(msg, 'expires')?.trim();
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** Whether a request to `target` is one to this Contact URI (its host and port; 5060 when it names none). */
function contactMatches(contact: string, target: HostPort): boolean {
  const at = uriTarget(contact);
  return at !== undefined && keyOf(at.host, at.port) === keyOf(target.host, target.port);
}

/** Where a REGISTER stands in its station's sequence: Call-ID and CSeq number. */
interface RegisterOrder { callId: string; cseq: number }

function registerOrder(msg: WireMessage): RegisterOrder {
  const cseq = parseInt(headerValue(msg, 'cseq') ?? '', 10);
  return { callId: headerValue(msg, 'call-id') ?? '', cseq: Number.isFinite(cseq) ? cseq : 0 };
}
