// The SIP bridge's telephone leg driver (the calls component's PhoneLegDriver):
// rings a `sip` route through its account as a SipLeg (sip-leg.ts), counts the
// legs in progress, reports their media direction and session refreshes, and
// answers a far end's REFER in a leg's dialog (refer-in.ts).
import type { Logger } from 'pino';
import type { AuditEntry } from '../audit/index.ts';
import type { PhoneLeg, PhoneLegDriver, PhoneLegHandlers, PhoneLegRequest } from '../calls/index.ts';
import type { Route } from '../phonebook/index.ts';
import { TypedEmitter, type Clock } from '../core/index.ts';
import type { RtpPortRange } from './rtp-relay.ts';
import type { Direction } from './sdp.ts';
import type { SipAccount } from './sip-account.ts';
import { Referrals, referredLeg } from './refer-in.ts';
import { SipLeg } from './sip-leg.ts';

export interface SipLegDriverOptions {
  account(id: string): SipAccount | undefined;
  /** Local address of the legs' RTP sockets (sip.bind_address). */
  bindAddress: string;
  /** The ports of those sockets (sip.rtp_port_min..max); any without. */
  rtpPorts?: RtpPortRange;
  /** An answered leg without media for this long ends the call (sip.rtp_timeout_seconds); needs `clock`. */
  rtpTimeoutMs?: number;
  clock?: Clock;
  /** The floor of a session interval (sip.session_timer.min_seconds; default 90, RFC 4028). */
  sessionMinSeconds?: number;
  /** Where a far end's REFER to a target outside the account is audited (refer-in.ts). */
  audit?: (entry: AuditEntry) => Promise<void>;
  logger: Logger;
}

export type SipLegDriverEvents = {
  /** The far end of an answered leg moved its media (re-INVITE: hold, inactive, back): our direction now, applied in mediasoup. */
  direction: [{ callId: string; participantId: string; direction: Direction }];
  /** An answered leg's SIP session was refreshed (RFC 4028): by us or by the far end; who refreshes next and how often. */
  session: [{ callId: string; participantId: string; seconds: number; weRefresh: boolean; refreshes: number }];
};

export class SipLegDriver extends TypedEmitter<SipLegDriverEvents> implements PhoneLegDriver {
  readonly #opts: SipLegDriverOptions;
  /** Legs in progress (tests and /ready may count them). */
  readonly legs = new Set<SipLeg>();
  /** REFERs of the legs' far ends (refer-in.ts): one at a time per dialog. */
  readonly #referrals: Referrals;

  constructor(opts: SipLegDriverOptions) {
    super();
    this.#opts = opts;
    this.#referrals = new Referrals(opts.logger, opts.audit);
  }

  handles(route: Route): boolean { return route.type === 'sip'; }

  ring(request: PhoneLegRequest, handlers: PhoneLegHandlers): PhoneLeg {
    const leg = new SipLeg(request, handlers, this.#opts);
    this.legs.add(leg);
    leg.onClosed = () => this.legs.delete(leg);
    leg.onDirection = (direction) => this.safeEmit('direction', { callId: request.callId, participantId: request.participantId, direction });
    leg.onRefer = (referral) => this.#referrals.take(referral, referredLeg(leg, request, handlers, this.#opts.account));
    leg.onSession = (t) => this.safeEmit('session', { callId: request.callId, participantId: request.participantId, seconds: t.seconds, weRefresh: t.weRefresh, refreshes: t.refreshes });
    void leg.start();
    return leg;
  }
}
