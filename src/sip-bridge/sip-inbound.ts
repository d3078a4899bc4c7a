// Calls from the PBX (issue 13, slice 2): an INVITE that passed the account's
// guard (inbound-guard.ts: authenticated trunk, configured number) becomes a call
// of the calls component from a telephone — the number's phone-book entry rings
// desk softphones with its fallback and queue, the caller a participant of kind
// `sip` whose media is a plain-RTP participant behind an RtpRelay, in the G.711
// codec of the PBX's offer. Desks ringing → 180 (queued → 182), a desk answering
// → 200 with our SDP answer, nobody → 486, outside opening hours → 480; CANCEL
// and BYE from the PBX end the call, a desk hanging up sends BYE. An INVITE
// without SDP (late offer, RFC 3261 §13.2.1) gets our offer in the 200 (one codec,
// sip.late_offer_codec) and must answer in the ACK: an ACK without SDP or with an
// unacceptable answer ends the call (BYE with Reason 488, call reason media-failure).
// Here: the calls in progress and what they need; one call is inbound-sip-call.ts,
// its media caller-media.ts.
import type { Logger } from 'pino';
import type { AuditEntry } from '../audit/index.ts';
import type { AudioCodec, Call, CallerTarget, EndReason, PhoneMove, TerminalCaller } from '../calls/index.ts';
import { TypedEmitter, type Clock } from '../core/index.ts';
import type { Route } from '../phonebook/index.ts';
import { Referrals, referredCall } from './refer-in.ts';
import type { TerminalTarget } from './settings.ts';
import type { RtpPortRange } from './rtp-relay.ts';
import type { Direction } from './sdp.ts';
import type { IncomingCall, SipAccount } from './sip-account.ts';
import type { H264Entry } from './video-sdp.ts';
import type { SrtpPolicy } from './media-security.ts';
import { InboundSipCall } from './inbound-sip-call.ts';

/** What the bridge needs of the calls component. */
export interface PhoneCallPort {
  startFromPhone(phone: { participantId: string; label: string; audioCodec: AudioCodec; door?: boolean }, entryId: string, observe: (call: Call) => void): Promise<Call>;
  hangup(callId: string, participantId: string): Promise<void>;
  endCall(callId: string, reason: EndReason): Promise<void>;
  /**
   * A terminal answers the telephone by itself (sip.accounts[].inbound.terminals); `callerName` is what
   * its notice shows. Unavailable when the terminal is not connected, conflict (call.terminal-busy) in a call.
   */
  callTerminal?(phone: TerminalCaller, terminalId: string, callerName: string, observe: (call: Call) => void): Promise<Call>;
  /**
   * The PBX moves the answered call to another telephone of the account (a REFER in the caller's dialog,
   * refer-in.ts): refused at once, or a new leg rings the target and, answered, takes the caller's place.
   * `caller`: where it may go and how the new caller is named (a callback: the callers its number lists).
   */
  moveCaller?(callId: string, participantId: string, route: Extract<Route, { type: 'sip' }>, caller: CallerTarget, replaces?: string): PhoneMove;
}

export interface InboundCallsOptions {
  calls: PhoneCallPort;
  /** The phone-book entry a number of an account rings (sip.accounts[].inbound.numbers). */
  entryOf(accountId: string, dialled: string): string | undefined;
  /** The terminal a number of an account reaches, and who may call it (sip.accounts[].inbound.terminals). */
  terminalOf?(accountId: string, dialled: string): TerminalTarget | undefined;
  /** Local address of the calls' RTP sockets (sip.bind_address). */
  bindAddress: string;
  /** The ports of those sockets (sip.rtp_port_min..max, as outbound legs); any without. */
  rtpPorts?: RtpPortRange;
  /** The one codec offered in the 200 to an INVITE without SDP (sip.late_offer_codec; default PCMA). */
  lateOfferCodec?: AudioCodec;
  /** The router's H.264 entries: a door station's video in one of them is taken (station-video.ts). */
  videoEntries?: readonly H264Entry[];
  /** Session timers (RFC 4028) run on it; without one the call answers refreshes but runs no timer. */
  clock?: Clock;
  /** The floor of a session interval (sip.session_timer.min_seconds; default 90): an INVITE asking less gets 422. */
  sessionMinSeconds?: number;
  /** Where a REFER to a target outside the account is audited (refer-in.ts). */
  audit?: (entry: AuditEntry) => Promise<void>;
  logger: Logger;
}

/** Where an inbound call arrived: an account's socket (its servers: where a REFER may move the call), or the door stations' (station-endpoint.ts). */
/** `codecs`: what the caller's offer may be answered with, in order (an account's; a door station's: G.711). */
export type CallEndpoint = Pick<SipAccount, 'attachMedia' | 'advertisedAddress'> & Partial<Pick<SipAccount, 'servers' | 'codecs'>> & { readonly srtp?: SrtpPolicy };

/** What a call from a door station adds: the entry it rings (its button's), and its H.264 video taken. */
export interface StationCallOptions {
  stationId: string; entryId: string; video: boolean;
  /** Open door at the desk reaches the station (its relay or its door). */
  door: boolean;
}

export type InboundCallsEvents = {
  /** The PBX moved an answered call's media (re-INVITE: hold, inactive, back): our direction now, applied in mediasoup. */
  direction: [{ callId: string; participantId: string; direction: Direction }];
};

export class InboundCalls extends TypedEmitter<InboundCallsEvents> {
  readonly #opts: InboundCallsOptions;
  /** Calls in progress (tests and /ready may count them). */
  readonly calls = new Set<InboundSipCall>();
  /** REFERs of the PBX in an inbound call's dialog (refer-in.ts): one at a time per dialog. */
  readonly #referrals: Referrals;

  constructor(opts: InboundCallsOptions) {
    super();
    this.#opts = opts;
    this.#referrals = new Referrals(opts.logger, opts.audit);
  }

  /** Takes an authenticated INVITE of `account` (its 'invite' event). */
  take(incoming: IncomingCall, account: CallEndpoint, station?: StationCallOptions): void {
    const call = new InboundSipCall(incoming, account, this.#opts, station);
    this.calls.add(call);
    call.onClosed = () => this.calls.delete(call);
    call.onRefer = (referral) => this.#referrals.take(referral, referredCall(call, account.servers?.servers, this.#opts.calls));
    call.onDirection = (direction) => this.safeEmit('direction', { callId: call.call?.id ?? '', participantId: call.participantId, direction });
    void call.start();
  }

  /** The call whose caller is this participant (a station's call, for its door relay). */
  byParticipant(participantId: string): InboundSipCall | undefined {
    for (const call of this.calls) if (call.participantId === participantId) return call;
    return undefined;
  }

  /** Ends every call's signalling before the accounts close (BYE, or 503 to a call still ringing); the calls component ends the calls. */
  close(): void {
    for (const call of [...this.calls]) call.shutdown();
  }
}
