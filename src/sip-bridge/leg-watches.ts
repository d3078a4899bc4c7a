// The watches of an answered outbound leg (sip-leg.ts): its RFC 4028 session —
// the far end's refreshes and UPDATEs answered, the timer the 2xx settled
// (sip-leg-session.ts) — and its RTP timeout (rtp-watch.ts). Each reports the
// end it sees to the leg, which tells the call once.
import type { Inviter } from 'sip.js';
import type { RtpRelay } from './rtp-relay.ts';
import { RtpWatch } from './rtp-watch.ts';
import { DEFAULT_MIN_SE, type SessionTimer } from './session-timer.ts';
import { SipLegSession } from './sip-leg-session.ts';
import type { SipLegDriverOptions } from './sip-leg-driver.ts';

/** Session timers (RFC 4028) and UPDATE answered, hooked at once; its timer starts when the 2xx settled it (SipLegSession.start). sip.js does neither. */
export function keepLegSession(inviter: Inviter, opts: SipLegDriverOptions, callId: string, on: { refreshed(timer: SessionTimer): void; expired(): void }): SipLegSession {
  const session = new SipLegSession(inviter, {
    clock: opts.clock, minSeconds: opts.sessionMinSeconds ?? DEFAULT_MIN_SE, ownsCallId: true,
    onRefreshed: (timer) => on.refreshed(timer),
    expired: (timer) => {
      opts.logger.warn({ callId, seconds: timer.seconds }, 'sip: the session expired without a refresh, the call ends (session-expired) / SIP-Sitzung ohne Auffrischung abgelaufen, der Anruf endet');
      on.expired();
    },
  });
  session.keep();
  return session;
}

/** The RTP timeout: the far end's packets (RTP and telephone-events) counted; silence while held is expected. None without a clock or sip.rtp_timeout_seconds. */
export function watchLegMedia(relay: RtpRelay, opts: SipLegDriverOptions, callId: string, held: () => boolean, timedOut: () => void): RtpWatch | undefined {
  const { clock, rtpTimeoutMs } = opts;
  if (!clock || !rtpTimeoutMs) return undefined;
  return new RtpWatch({
    clock, timeoutMs: rtpTimeoutMs,
    received: () => relay.counters.fromRemote + relay.counters.telephoneEvents,
    held,
    onTimeout: () => {
      opts.logger.warn({ callId, seconds: rtpTimeoutMs / 1000 }, 'sip: no media from the phone, the call ends (media-timeout) / keine Medien vom Telefon, der Anruf endet');
      timedOut();
    },
  });
}
