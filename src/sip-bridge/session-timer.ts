// SIP session timers (RFC 4028) of one call: the interval and refresher the
// 2xx settled (Session-Expires: <seconds>;refresher=uac|uas). When Portier is
// the refresher it refreshes at half the interval (a re-INVITE, §7.4/§8); when
// the far end is, a refresh (re-INVITE or UPDATE) must arrive before the
// interval minus min(32 s, a third of it) runs out (§10), else the session has
// expired: the call ends with reason `session-expired` and a BYE. On the
// injected clock, so its tests move time instead of sleeping.
import { randomInt } from 'node:crypto';
import type { Clock } from '../core/index.ts';

export type Refresher = 'uac' | 'uas';

export interface SessionExpires {
  seconds: number;
  refresher?: Refresher;
}

/** `Session-Expires: 1800;refresher=uac` (or its compact form `x:`); undefined when absent or malformed. */
export function readSessionExpires(value: string | undefined): SessionExpires | undefined {
  if (!value) return undefined;
  const m = /^\s*(\d{1,9})\s*((?:;[^;]*)*)$/.exec(value);
  if (!m) return undefined;
  const seconds = Number(m[1]);
  if (!Number.isSafeInteger(seconds) || seconds < 1) return undefined;
  const refresher = /;\s*refresher\s*=\s*(uac|uas)\b/i.exec(m[2] ?? '')?.[1]?.toLowerCase() as Refresher | undefined;
  return refresher ? { seconds, refresher } : { seconds };
}

export const writeSessionExpires = (s: Required<SessionExpires>): string => `Session-Expires: ${s.seconds};refresher=${s.refresher}`;

/** The Session-Expires of a message (full or compact name). */
export const sessionExpiresOf = (message: { getHeader(name: string): string | undefined }): SessionExpires | undefined =>
  readSessionExpires(message.getHeader('session-expires') ?? message.getHeader('x'));

/** Whether a message says it supports session timers (Supported: timer, or compact k:). */
export const supportsTimer = (message: { getHeader(name: string): string | undefined }): boolean =>
  /(^|[\s,])timer($|[\s,])/i.test(`${message.getHeader('supported') ?? ''},${message.getHeader('k') ?? ''}`);

/**
 * The far end refreshed (its re-INVITE or UPDATE, RFC 4028 §9–10): the interval it asks (else the
 * current one) and who refreshes next — it says so, else it keeps refreshing (it is the UAC of
 * its refresh); the headers of our 2xx say the same. An interval below `minSeconds` from a UAC that
 * does not support timers (a proxy put it in; one that does was refused 422) is granted the floor
 * with Portier refreshing, as for the dialog's INVITE (grantOf) — the 2xx never promises an interval
 * the timer does not run (review s23 #18).
 */
export function farRefresh(request: { getHeader(name: string): string | undefined }, current: number, minSeconds = 0): { seconds: number; weRefresh: boolean; headers: string[] } {
  const asked = sessionExpiresOf(request);
  const seconds = Math.max(asked?.seconds ?? current, minSeconds);
  const refresher: Refresher = asked && !supportsTimer(request) ? 'uas' : asked?.refresher ?? 'uac';
  return {
    seconds, weRefresh: refresher === 'uas',
    headers: [writeSessionExpires({ seconds, refresher }), ...(refresher === 'uac' && supportsTimer(request) ? ['Require: timer'] : [])],
  };
}

/** The floor of a session interval (RFC 4028 §4: Min-SE defaults to 90 s); sip.session_timer.min_seconds. */
export const DEFAULT_MIN_SE = 90;

/** The Min-SE of a message (RFC 4028 §5), a 422's: the smallest interval the far end takes. */
export const minSeOf = (message: { getHeader(name: string): string | undefined }): number | undefined => {
  const m = /^\s*(\d{1,9})\b/.exec(message.getHeader('min-se') ?? '');
  return m ? Number(m[1]) : undefined;
};

/**
 * A far end's request (INVITE, re-INVITE or UPDATE) asking an interval below our floor: refused 422 with our
 * Min-SE (RFC 4028 §8.1) — a phone asking `Session-Expires: 1` would otherwise be refreshed every 500 ms.
 * Only to a UAC that supports timers (RFC 4028 §9): one that does not cannot retry with Min-SE (a proxy
 * put the header in), so it is granted the floor instead (grantOf; review s22 #25).
 */
export function refreshRefusal(request: { getHeader(name: string): string | undefined }, minSeconds: number): { statusCode: 422; reasonPhrase: string; extraHeaders: string[] } | undefined {
  const asked = sessionExpiresOf(request);
  if (!asked || asked.seconds >= minSeconds || !supportsTimer(request)) return undefined;
  return { statusCode: 422, reasonPhrase: 'Session Interval Too Small', extraHeaders: [`Min-SE: ${minSeconds}`] };
}

/** The answer to our refresh: its status, and a 422's Min-SE. */
export interface RefreshAnswer { status: number; minSeconds?: number }

export interface SessionTimerOptions {
  clock: Clock;
  /** Whether Portier refreshes (its role — uac or uas — is the refresher). */
  weRefresh: boolean;
  seconds: number;
  /** The floor (Min-SE): a smaller interval is taken as this (default 90, RFC 4028 §4). */
  minSeconds?: number;
  /**
   * Sends a refresh asking `seconds`; resolves with the answer's status (and a 422's Min-SE), or false when none
   * came (timeout, transport failure). A 2xx restarts the timer; 491 is tried again after glareDelayMs; 422 at once
   * with its Min-SE; 408, 481 and none end the session (RFC 4028 §10); any other keeps it and tries again halfway to the expiry.
   */
  refresh(seconds: number): Promise<boolean | RefreshAnswer>;
  /** The wait before a refresh that crossed the far end's re-INVITE (491) is sent again (RFC 3261 §14.1). */
  glareDelayMs?(): number;
  /** The session expired (no refresh in time, or our refresh failed): end the call once. */
  expired(): void;
  /** After each refresh (ours answered 2xx, or the far end's taken). */
  onRefreshed?(timer: SessionTimer): void;
}

/** RFC 3261 §14.1: after a 491, 2.1–4 s (in steps of 10 ms) when we chose the Call-ID, else 0–2 s. */
export const glareDelayMs = (ownsCallId: boolean): number => (ownsCallId ? 2100 + randomInt(0, 191) * 10 : randomInt(0, 201) * 10);

/**
 * The longest interval a timer is armed for (a day): the far end chooses the number, and Node cuts a
 * timer past 2^31-1 ms (~24.8 days) to 1 ms — the call would end at once, or Portier would re-INVITE
 * back to back (review s21 #31). Past it Portier refreshes (or expects a refresh) within the day.
 */
export const MAX_SESSION_SECONDS = 86_400;

/** When the far end refreshes, the session is over this long after the last refresh (RFC 4028 §10). */
export const expiryMsOf = (seconds: number): number => (seconds - Math.min(32, seconds / 3)) * 1000;

/** A refresh failed but the session stands: tried again halfway to the expiry, unless less than this is left. */
const RETRY_FLOOR_MS = 1000;

export class SessionTimer {
  readonly #opts: SessionTimerOptions;
  readonly #min: number;
  #seconds: number;
  #weRefresh: boolean;
  #timer?: NodeJS.Timeout;
  /** When the session expires unless a refresh goes through (we refresh: from the last one that did). */
  #expiresAt = 0;
  #closed = false;
  /** A 422's Min-SE was taken since the last refresh that went through. */
  #tookMinSe = false;
  /** Refreshes sent and taken (tests, logs). */
  refreshes = 0;

  constructor(opts: SessionTimerOptions) {
    this.#opts = opts;
    this.#min = opts.minSeconds ?? DEFAULT_MIN_SE;
    this.#seconds = Math.max(this.#min, opts.seconds);
    this.#weRefresh = opts.weRefresh;
    this.#arm();
  }

  get closed(): boolean { return this.#closed; }
  get seconds(): number { return this.#seconds; }
  get weRefresh(): boolean { return this.#weRefresh; }

  /** The interval and refresher a 2xx to our refresh settled (the timer restarts with them when the refresh resolves). */
  settle(seconds: number, weRefresh: boolean): void {
    this.#seconds = Math.max(this.#min, seconds);
    this.#weRefresh = weRefresh;
  }

  /** A refresh went through (ours answered, or the far end's taken), perhaps with a new interval or refresher. */
  refreshed(seconds = this.#seconds, weRefresh = this.#weRefresh): void {
    if (this.#closed) return;
    this.refreshes++;
    this.#tookMinSe = false;
    this.#seconds = Math.max(this.#min, seconds);
    this.#weRefresh = weRefresh;
    this.#arm();
    this.#opts.onRefreshed?.(this);
  }

  #arm(): void {
    const seconds = Math.min(this.#seconds, MAX_SESSION_SECONDS);
    const now = this.#opts.clock.now();
    this.#expiresAt = now + seconds * 1000;
    if (!this.#weRefresh) return this.#at(expiryMsOf(seconds), () => this.#expire());
    this.#at(seconds * 500, () => this.#refresh());
  }

  #at(ms: number, fn: () => void): void {
    const { clock } = this.#opts;
    if (this.#timer) clock.clearTimeout(this.#timer);
    this.#timer = clock.setTimeout(() => {
      this.#timer = undefined;
      if (!this.#closed) fn();
    }, Math.max(0, ms));
  }

  #refresh(): void {
    void this.#opts.refresh(this.#seconds).then((answer) => this.#answered(answer), () => this.#answered(false));
  }

  /** What the far end said to our refresh (RFC 4028 §10, review s21 #32). */
  #answered(answer: boolean | RefreshAnswer): void {
    if (this.#closed) return;
    const status = answer === true ? 200 : answer === false ? 0 : answer.status;
    if (status >= 200 && status < 300) return this.refreshed();
    if (status === 0 || status === 408 || status === 481) return this.#expire();
    const min = answer === true || answer === false ? undefined : answer.minSeconds;
    // One 422 per refresh is taken (RFC 4028 §10: retry once with the larger value); another 422 before a 2xx
    // goes the way of other refusals — a far end raising its Min-SE each time drove back-to-back re-INVITEs (review s22 #3).
    if (status === 422 && min !== undefined && min > this.#seconds && !this.#tookMinSe) {
      this.#tookMinSe = true;
      this.#seconds = Math.min(min, MAX_SESSION_SECONDS);
      return this.#refresh();
    }
    const left = this.#expiresAt - this.#opts.clock.now();
    if (status === 491) {
      const wait = this.#opts.glareDelayMs?.() ?? glareDelayMs(true);
      if (wait < left) return this.#at(wait, () => this.#refresh());
    } else if (left >= 2 * RETRY_FLOOR_MS) {
      return this.#at(left / 2, () => this.#refresh());
    }
    this.#at(left, () => this.#expire());
  }
  #expire(): void {
    if (this.#closed) return;
    this.close();
    this.#opts.expired();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) this.#opts.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
