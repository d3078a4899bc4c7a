// The RFC 4028 session of one answered SIP call, outbound leg or inbound call
// alike: the dialog's in-dialog requests hooked (session-hooks.ts: the far end's
// refreshes by re-INVITE or UPDATE answered with Session-Expires, an interval
// below our floor refused 422 with Min-SE, an UPDATE's offer answered through
// the call's media handler) and the SessionTimer the answer settled — our
// refreshes are re-INVITEs with Session-Expires and Min-SE; how their answers
// count is SessionTimer's (491 again later, 422 again with its Min-SE, 408/481
// end the call). sip.js 0.21.2 does none of this.
// sip.js only as types here: a gateway without SIP accounts and stations never loads it (issue 16).
import type { Session } from 'sip.js';
import type { Clock } from '../core/index.ts';
import { hookSession } from './session-hooks.ts';
import {
  SessionTimer, farRefresh, glareDelayMs, minSeOf, refreshRefusal, sessionExpiresOf, supportsTimer, writeSessionExpires,
  type Refresher, type RefreshAnswer, type SessionExpires,
} from './session-timer.ts';

export interface SipLegSessionOptions {
  /** Without a clock no timer runs (unit tests of the leg); the hooks are installed all the same. */
  clock?: Clock;
  /** The floor of an interval (sip.session_timer.min_seconds; RFC 4028 default 90). */
  minSeconds: number;
  /** We sent the dialog's INVITE (chose its Call-ID): how long a refresh waits after a 491 (RFC 3261 §14.1). */
  ownsCallId: boolean;
  /** After each refresh (ours answered 2xx, or the far end's taken). */
  onRefreshed?(timer: SessionTimer): void;
  /** The session expired (no refresh in time, our refresh answered 408/481 or not at all): the call ends once. */
  expired(timer: SessionTimer): void;
}

/**
 * What a dialog-forming INVITE of the far end asks (inbound calls, RFC 4028 §9): refused 422 when below the floor
 * and the caller supports timers, else the interval (the floor at least) and who refreshes, and the headers of our 2xx. Undefined: it asks for no session timer.
 */
export function grantOf(request: { getHeader(name: string): string | undefined }, minSeconds: number):
  | { refuse: { statusCode: number; reasonPhrase: string; extraHeaders: string[] } }
  | { granted: SessionExpires; weRefresh: boolean; headers: string[] }
  | undefined {
  const refuse = refreshRefusal(request, minSeconds);
  if (refuse) return { refuse };
  const asked = sessionExpiresOf(request);
  if (!asked) return undefined;
  // A caller without timer support cannot refresh: we do (uas), at the floor at least; else as it asked, by default the caller (uac).
  const timer = supportsTimer(request);
  const refresher: Refresher = timer ? asked.refresher ?? 'uac' : 'uas';
  const seconds = Math.max(asked.seconds, minSeconds);
  return {
    granted: { seconds, refresher }, weRefresh: refresher === 'uas',
    headers: [writeSessionExpires({ seconds, refresher }), ...(timer ? ['Require: timer'] : [])],
  };
}

export class SipLegSession {
  readonly #session: Session;
  readonly #opts: SipLegSessionOptions;
  #timer?: SessionTimer;
  #closed = false;

  constructor(session: Session, opts: SipLegSessionOptions) {
    this.#session = session;
    this.#opts = opts;
  }

  /** Its timer once started (none: the far end wants no session timers). */
  get timer(): SessionTimer | undefined { return this.#timer; }

  /** Hooks the dialog's requests (once Established): refreshes taken, too small ones refused, UPDATE answered. */
  keep(): void {
    const session = this.#session;
    const min = this.#opts.minSeconds;
    hookSession(session, {
      refuse: (request) => refreshRefusal(request, min),
      refreshed: (request) => {
        const timer = this.#timer;
        if (!timer) return;
        const next = farRefresh(request, timer.seconds, min);
        timer.refreshed(next.seconds, next.weRefresh);
      },
      responseHeaders: (request) => (this.#timer ? farRefresh(request, this.#timer.seconds, min).headers : []),
      answer: async (offer) => {
        const sdh = session.sessionDescriptionHandler;
        if (!sdh) throw new Error('no media');
        await sdh.setDescription(offer);
        return (await sdh.getDescription()).body;
      },
    });
  }

  /** The timer the answer settled (none asked: nothing runs); once. */
  start(granted: SessionExpires | undefined, weRefresh: boolean): void {
    const clock = this.#opts.clock;
    if (!granted || !clock || this.#closed || this.#timer) return;
    const timer = new SessionTimer({
      clock, seconds: granted.seconds, weRefresh, minSeconds: this.#opts.minSeconds,
      refresh: (seconds) => this.#refresh(seconds),
      glareDelayMs: () => glareDelayMs(this.#opts.ownsCallId),
      onRefreshed: (t) => this.#opts.onRefreshed?.(t),
      expired: () => this.#opts.expired(timer),
    });
    this.#timer = timer;
  }

  /** Our refresh: a re-INVITE with the same SDP (its o= version unchanged), the interval and our floor. */
  #refresh(seconds: number): Promise<boolean | RefreshAnswer> {
    const session = this.#session;
    const timer = this.#timer;
    if (!timer || this.#closed || session.state !== 'Established') return Promise.resolve(false);
    return new Promise((resolve) => {
      session.invite({
        requestOptions: { extraHeaders: [writeSessionExpires({ seconds, refresher: 'uac' }), `Min-SE: ${this.#opts.minSeconds}`] },
        requestDelegate: {
          onAccept: (response) => {
            const granted = sessionExpiresOf(response.message);
            timer.settle(granted?.seconds ?? seconds, (granted?.refresher ?? 'uac') === 'uac');
            resolve({ status: response.message.statusCode ?? 200 });
          },
          onReject: (response) => resolve({ status: response.message.statusCode ?? 500, minSeconds: minSeOf(response.message) }),
        },
      // Our refresh crossed the far end's re-INVITE still in progress here: glare as with its 491.
      }).catch(async (error: unknown) => resolve(error instanceof (await import('sip.js')).RequestPendingError ? { status: 491 } : false));
    });
  }

  close(): void {
    this.#closed = true;
    this.#timer?.close();
  }
}
