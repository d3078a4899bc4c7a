// Portier sends REFER (RFC 3515): a desk hands a caller from the PBX to an
// extension of the same PBX, and the PBX connects them itself. The REFER goes in
// the caller's dialog with Refer-To the route's extension at the account's domain
// (the phone book saved and checked it; nothing a visitor typed). Its progress
// comes as NOTIFY with a message/sipfrag body: 1xx → under way, 2xx → done,
// ≥300 → failed (the call stays). A 2xx to the REFER with `Refer-Sub: false`
// (RFC 4488: the PBX creates no subscription, so no NOTIFY will come) counts as
// done. No final NOTIFY within sip.refer_timeout_seconds: failed (408); each 1xx
// NOTIFY gives the PBX that long again. A NOTIFY belongs to the REFER whose CSeq
// its `Event: refer;id=` names (RFC 3515 §2.4.6: sip.js hands every NOTIFY of the
// dialog to the latest REFER): a late NOTIFY of an earlier REFER settles nothing;
// one without an id counts only while its REFER is the dialog's only one.
// `Subscription-State: terminated` without a final sipfrag: failed. A REFER that
// timed out keeps listening: its final NOTIFY coming late (the PBX went on
// trying) with 2xx means the PBX moved the caller after all — the outcome's
// `late` resolves true and the call ends `transferred` (phone-transfer.ts).
import type { Logger } from 'pino';
import type { Session } from 'sip.js';
import type { PhoneReferOutcome, PhoneTransferPort } from '../calls/index.ts';
import type { Route } from '../phonebook/index.ts';
import type { Clock } from '../core/index.ts';
import { SIP_USER } from '../phonebook/index.ts';

/** The status line of a message/sipfrag body (RFC 3420), e.g. `SIP/2.0 180 Ringing` → 180; undefined when there is none. */
export function sipfragStatus(body: string | undefined): number | undefined {
  const match = /^\s*SIP\/2\.0\s+([1-6]\d\d)\b/.exec(body ?? '');
  return match ? Number(match[1]) : undefined;
}

/** The id of an `Event: refer;id=N` header (RFC 3515 §2.4.6); undefined without one. */
export function referEventId(event: string | undefined): number | undefined {
  const match = /;\s*id\s*=\s*"?(\d+)"?/i.exec(event ?? '');
  return match ? Number(match[1]) : undefined;
}

/** What Portier keeps per dialog it sent REFERs in. */
export interface ReferDialog {
  /** How many REFERs it sent (a NOTIFY without an id is only trusted for the first). */
  sent: number;
  /** REFERs that timed out, by CSeq: their late NOTIFYs still tell how the PBX's attempt ended. */
  readonly late: Map<number, (status: number | undefined, terminated: boolean) => void>;
}

/** A dialog's REFER state before its first REFER. */
export function referDialog(): ReferDialog { return { sent: 0, late: new Map() }; }

/** A call leg Portier may refer: its dialog (once answered) and the account it came in on. */
export interface ReferableLeg {
  readonly accountId: string;
  /** The answered dialog (undefined before the answer or after the end). */
  readonly session: Session | undefined;
}

export interface SipReferrerOptions {
  /** The leg of a participant (an inbound caller), if it is a SIP one. */
  leg(participantId: string): ReferableLeg | undefined;
  /** How long the PBX may take to say how the transfer went (sip.refer_timeout_seconds). */
  timeoutMs: number;
  clock: Clock;
  logger: Logger;
}

/** The calls component's PhoneTransferPort over sip.js sessions. */
export class SipReferrer implements PhoneTransferPort {
  readonly #opts: SipReferrerOptions;
  /** Per dialog: the REFERs sent in it and those that timed out. */
  readonly #dialogs = new WeakMap<Session, ReferDialog>();

  constructor(opts: SipReferrerOptions) { this.#opts = opts; }

  canRefer(participantId: string, route: Route): boolean {
    const leg = this.#opts.leg(participantId);
    return route.type === 'sip' && leg !== undefined && leg.accountId === route.accountId && leg.session?.state === 'Established' && SIP_USER.test(route.user);
  }

  refer(participantId: string, route: Extract<Route, { type: 'sip' }>): Promise<PhoneReferOutcome> {
    const session = this.#opts.leg(participantId)?.session;
    if (!session || session.state !== 'Established' || !SIP_USER.test(route.user)) return Promise.resolve({ transferred: false, status: 481, why: 'ended' });
    let dialog = this.#dialogs.get(session);
    if (!dialog) this.#dialogs.set(session, dialog = referDialog());
    return referSession(session, route.user, { ...this.#opts, dialog });
  }
}

/** Sends REFER in `session`'s dialog to `user` at the account's own domain and resolves with how the PBX says it went. */
export function referSession(session: Session, user: string, opts: { timeoutMs: number; clock: Clock; logger: Logger; dialog: ReferDialog }): Promise<PhoneReferOutcome> {
  // The account's address of record names its domain: the target is an extension there (never another host).
  const target = session.userAgent.configuration.uri.clone();
  target.user = user;
  const log = opts.logger;
  const callId = session.dialog?.callId;
  const refers = opts.dialog;
  const sent = ++refers.sent;
  // The REFER's CSeq, which its NOTIFYs name: the dialog's next one, confirmed once the request is out.
  // (sip.js's dialog class has localSequenceNumber; its Session interface does not say so.)
  const dialog = session.dialog as { localSequenceNumber?: number } | undefined;
  let cseq: number | undefined = dialog ? (dialog.localSequenceNumber ?? 0) + 1 : undefined;
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: PhoneReferOutcome): void => {
      if (settled) return;
      settled = true;
      opts.clock.clearTimeout(timer);
      session.stateChange.removeListener(onState);
      log.info({ sipCallId: callId, number: user, ...outcome }, outcome.transferred
        ? 'sip: the PBX transferred the caller / Telefonanlage hat den Anrufer weiterverbunden'
        : 'sip: the PBX did not transfer the caller / Telefonanlage hat den Anrufer nicht weiterverbunden');
      resolve(outcome);
    };
    const expire = () => {
      if (cseq === undefined) return settle({ transferred: false, status: 408, why: 'timeout' });
      settle({ transferred: false, status: 408, why: 'timeout', late: lateOutcome(session, cseq, refers) });
    };
    let timer = opts.clock.setTimeout(expire, opts.timeoutMs);
    const onState = (state: string): void => { if (state === 'Terminated') settle({ transferred: false, status: 481, why: 'ended' }); };
    session.stateChange.addListener(onState);
    /** Whether a NOTIFY reports on this REFER: its Event id is this REFER's CSeq, or it has none and this is the dialog's only REFER. */
    const ours = (event: string | undefined): boolean => {
      const id = referEventId(event);
      return id === undefined ? sent === 1 : id === cseq;
    };
    void session.refer(target, {
      requestDelegate: {
        onAccept: (response) => {
          log.info({ sipCallId: callId, number: user, status: response.message.statusCode }, 'sip: the PBX accepted the REFER / Telefonanlage hat REFER angenommen');
          // RFC 4488: the PBX keeps no subscription, so no NOTIFY will tell more; it took the transfer on.
          if (/^\s*false\s*$/i.test(response.message.getHeader('refer-sub') ?? '')) settle({ transferred: true });
        },
        onReject: (response) => settle({ transferred: false, status: response.message.statusCode ?? 500, why: 'refused' }),
      },
      // Every NOTIFY of the implicit subscription is answered 200, also after the outcome (RFC 3515 §2.4.4).
      onNotify: (notification) => {
        void notification.accept().catch(() => undefined);
        const status = sipfragStatus(notification.request.body);
        const event = notification.request.getHeader('event');
        const terminated = /^\s*terminated\b/i.test(notification.request.getHeader('subscription-state') ?? '');
        // A REFER of this dialog that timed out (this one or an earlier one): its late report.
        const id = referEventId(event) ?? (refers.sent === 1 ? cseq : undefined);
        const late = id === undefined ? undefined : refers.late.get(id);
        if (late) {
          log.info({ sipCallId: callId, status, event }, 'sip: a late NOTIFY of a timed-out REFER / später NOTIFY eines abgelaufenen REFER');
          return late(status, terminated);
        }
        if (!ours(event)) {
          log.info({ sipCallId: callId, status, event }, 'sip: a NOTIFY of an earlier REFER is ignored / NOTIFY eines früheren REFER ignoriert');
          return;
        }
        log.info({ sipCallId: callId, number: user, status }, 'sip: the PBX reports on the transfer (NOTIFY) / Telefonanlage meldet den Stand der Weiterverbindung');
        if (status !== undefined && status >= 200) return settle(status < 300 ? { transferred: true } : { transferred: false, status, why: 'failed' });
        if (terminated) return settle({ transferred: false, status: 500, why: 'failed' });
        // Still under way (1xx): the PBX has the full time again.
        if (!settled) {
          opts.clock.clearTimeout(timer);
          timer = opts.clock.setTimeout(expire, opts.timeoutMs);
        }
      },
    }).then((request) => { cseq = request.message.cseq; })
      .catch(() => settle({ transferred: false, status: 500, why: 'refused' }));
  });
}

/**
 * A timed-out REFER goes on listening for its subscription's end: true once a final 2xx NOTIFY says the PBX
 * transferred the caller after all; false at a final failure, a terminated subscription or the dialog's end.
 */
function lateOutcome(session: Session, cseq: number, refers: ReferDialog): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (moved: boolean): void => {
      refers.late.delete(cseq);
      session.stateChange.removeListener(onState);
      resolve(moved);
    };
    const onState = (state: string): void => { if (state === 'Terminated') done(false); };
    session.stateChange.addListener(onState);
    refers.late.set(cseq, (status, terminated) => {
      if (status !== undefined && status >= 200) done(status < 300);
      else if (terminated) done(false);
    });
  });
}
