// SIP session timers (RFC 4028) of one call: the interval and refresher the
// 2xx settled (Session-Expires: <seconds>;refresher=uac|uas). When Portier is
// the refresher it refreshes at half the interval (a re-INVITE, §7.4/§8); when
// the far end is, a refresh (re-INVITE or UPDATE) must arrive before the
// interval minus min(32 s, a third of it) runs out (§10), else the session has
// expired: the call ends with reason `session-expired` and a BYE. On the
// injected clock, so its tests move time instead of sleeping.
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
 * its refresh); the headers of our 2xx say the same.
 */
export function farRefresh(request: { getHeader(name: string): string | undefined }, current: number): { seconds: number; weRefresh: boolean; headers: string[] } {
  const asked = sessionExpiresOf(request);
  const seconds = asked?.seconds ?? current;
  const refresher: Refresher = asked?.refresher ?? 'uac';
  return {
    seconds, weRefresh: refresher === 'uas',
    headers: [writeSessionExpires({ seconds, refresher }), ...(refresher === 'uac' && supportsTimer(request) ? ['Require: timer'] : [])],
  };
}

export interface SessionTimerOptions {
  clock: Clock;
  /** Whether Portier refreshes (its role — uac or uas — is the refresher). */
  weRefresh: boolean;
  seconds: number;
  /** Sends a refresh; resolves true on a 2xx (the timer restarts), false when it failed (the session ends). */
  refresh(): Promise<boolean>;
  /** The session expired (no refresh in time, or our refresh failed): end the call once. */
  expired(): void;
  /** After each refresh (ours answered 2xx, or the far end's taken). */
  onRefreshed?(timer: SessionTimer): void;
}

/**
 * The longest interval a timer is armed for (a day): the far end chooses the number, and Node cuts a
 * timer past 2^31-1 ms (~24.8 days) to 1 ms — the call would end at once, or Portier would re-INVITE
 * back to back (review s21 #31). Past it Portier refreshes (or expects a refresh) within the day.
 */
export const MAX_SESSION_SECONDS = 86_400;

/** When the far end refreshes, the session is over this long after the last refresh (RFC 4028 §10). */
export const expiryMsOf = (seconds: number): number => (seconds - Math.min(32, seconds / 3)) * 1000;

export class SessionTimer {
  readonly #opts: SessionTimerOptions;
  #seconds: number;
  #weRefresh: boolean;
  #timer?: NodeJS.Timeout;
  #closed = false;
  /** Refreshes sent and taken (tests, logs). */
  refreshes = 0;

  constructor(opts: SessionTimerOptions) {
    this.#opts = opts;
    this.#seconds = opts.seconds;
    this.#weRefresh = opts.weRefresh;
    this.#arm();
  }

  get closed(): boolean { return this.#closed; }
  get seconds(): number { return this.#seconds; }
  get weRefresh(): boolean { return this.#weRefresh; }

  /** The interval and refresher a 2xx to our refresh settled (the timer restarts with them when the refresh resolves). */
  settle(seconds: number, weRefresh: boolean): void {
    this.#seconds = seconds;
    this.#weRefresh = weRefresh;
  }

  /** A refresh went through (ours answered, or the far end's taken), perhaps with a new interval or refresher. */
  refreshed(seconds = this.#seconds, weRefresh = this.#weRefresh): void {
    if (this.#closed) return;
    this.refreshes++;
    this.#seconds = seconds;
    this.#weRefresh = weRefresh;
    this.#arm();
    this.#opts.onRefreshed?.(this);
  }

  #arm(): void {
    const { clock } = this.#opts;
    if (this.#timer) clock.clearTimeout(this.#timer);
    const seconds = Math.min(this.#seconds, MAX_SESSION_SECONDS);
    const ms = this.#weRefresh ? seconds * 500 : expiryMsOf(seconds);
    this.#timer = clock.setTimeout(() => {
      this.#timer = undefined;
      if (this.#closed) return;
      if (!this.#weRefresh) return this.#expire();
      void this.#opts.refresh().then(
        (ok) => (ok ? this.refreshed() : this.#expire()),
        () => this.#expire(),
      );
    }, ms);
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
