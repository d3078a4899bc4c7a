// Portier sends REFER (RFC 3515): a desk hands a caller from the PBX to an
// extension of the same PBX, and the PBX connects them itself. The REFER goes in
// the caller's dialog with Refer-To the route's extension at the account's domain
// (the phone book saved and checked it; nothing a visitor typed). Its progress
// comes as NOTIFY with a message/sipfrag body: 1xx → under way, 2xx → done,
// ≥300 → failed (the call stays). A 2xx to the REFER with `Refer-Sub: false`
// (RFC 4488: the PBX creates no subscription, so no NOTIFY will come) counts as
// done. No final NOTIFY within sip.refer_timeout_seconds: failed (408).
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

  constructor(opts: SipReferrerOptions) { this.#opts = opts; }

  canRefer(participantId: string, route: Route): boolean {
    const leg = this.#opts.leg(participantId);
    return route.type === 'sip' && leg !== undefined && leg.accountId === route.accountId && leg.session?.state === 'Established' && SIP_USER.test(route.user);
  }

  refer(participantId: string, route: Extract<Route, { type: 'sip' }>): Promise<PhoneReferOutcome> {
    const session = this.#opts.leg(participantId)?.session;
    if (!session || session.state !== 'Established' || !SIP_USER.test(route.user)) return Promise.resolve({ transferred: false, status: 481, why: 'ended' });
    return referSession(session, route.user, this.#opts);
  }
}

/** Sends REFER in `session`'s dialog to `user` at the account's own domain and resolves with how the PBX says it went. */
export function referSession(session: Session, user: string, opts: { timeoutMs: number; clock: Clock; logger: Logger }): Promise<PhoneReferOutcome> {
  // The account's address of record names its domain: the target is an extension there (never another host).
  const target = session.userAgent.configuration.uri.clone();
  target.user = user;
  const log = opts.logger;
  const callId = session.dialog?.callId;
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: PhoneReferOutcome): void => {
      if (settled) return;
      settled = true;
      opts.clock.clearTimeout(timer);
      session.stateChange.removeListener(onState);
      log.info({ sipCallId: callId, target: user, ...outcome }, outcome.transferred
        ? 'sip: the PBX transferred the caller / Telefonanlage hat den Anrufer weiterverbunden'
        : 'sip: the PBX did not transfer the caller / Telefonanlage hat den Anrufer nicht weiterverbunden');
      resolve(outcome);
    };
    const timer = opts.clock.setTimeout(() => settle({ transferred: false, status: 408, why: 'timeout' }), opts.timeoutMs);
    const onState = (state: string): void => { if (state === 'Terminated') settle({ transferred: false, status: 481, why: 'ended' }); };
    session.stateChange.addListener(onState);
    void session.refer(target, {
      requestDelegate: {
        onAccept: (response) => {
          log.info({ sipCallId: callId, target: user, status: response.message.statusCode }, 'sip: the PBX accepted the REFER / Telefonanlage hat REFER angenommen');
          // RFC 4488: the PBX keeps no subscription, so no NOTIFY will tell more; it took the transfer on.
          if (/^\s*false\s*$/i.test(response.message.getHeader('refer-sub') ?? '')) settle({ transferred: true });
        },
        onReject: (response) => settle({ transferred: false, status: response.message.statusCode ?? 500, why: 'refused' }),
      },
      // Every NOTIFY of the implicit subscription is answered 200, also after the outcome (RFC 3515 §2.4.4).
      onNotify: (notification) => {
        void notification.accept().catch(() => undefined);
        const status = sipfragStatus(notification.request.body);
        log.info({ sipCallId: callId, target: user, status }, 'sip: the PBX reports on the transfer (NOTIFY) / Telefonanlage meldet den Stand der Weiterverbindung');
        if (status === undefined || status < 200) return;
        settle(status < 300 ? { transferred: true } : { transferred: false, status, why: 'failed' });
      },
    }).catch(() => settle({ transferred: false, status: 500, why: 'refused' }));
  });
}
