// Waits for a SIP account's status by its events, never by polling: the one
// helper the registration, TCP/TLS and TLS-call tests share.
import type { SipAccount, SipAccountStatus } from '../../src/sip-bridge/index.ts';

/** Resolves with the account's status once it matches (now, for 'state', or at a later event). */
export function untilAccount(account: SipAccount, match: (s: SipAccountStatus) => boolean, event: 'state' | 'registered' = 'state'): Promise<SipAccountStatus> {
  return new Promise((resolve) => {
    if (event === 'state' && match(account.status())) return resolve(account.status());
    const listener = (s: SipAccountStatus) => {
      if (!match(s)) return;
      account.off(event, listener);
      resolve(s);
    };
    account.on(event, listener);
  });
}

/** Resolves with the account's status once it has registered more than `before` times (now, or at a later REGISTER). */
export function untilRegisteredAgain(account: SipAccount, before: number): Promise<SipAccountStatus> {
  const more = (s: SipAccountStatus) => s.registrations > before;
  return more(account.status()) ? Promise.resolve(account.status()) : untilAccount(account, more, 'registered');
}
