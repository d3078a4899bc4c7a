// Prometheus metrics of the SIP side, appended to /metrics: per SIP account (the config
// file's and the admin page's, by id) whether it is registered now, and how many door
// stations have a binding at Portier's registrar. Read when scraped from the accounts'
// listing and the registrar's bindings; it listens to nothing and owns neither.
import { promHeader, promLabel } from '../core/index.ts';
import type { SipAccountListing } from './account-admin.ts';

export interface SipMetricsDeps {
  /** Every account with its registration now (SipAccountAdmin.list): a disabled one has no status. */
  accounts: { list(): SipAccountListing[] };
  /** The door stations' registrar (undefined: sip.stations is off). */
  stations?: { readonly bindings: readonly unknown[] };
}

export class SipMetrics {
  readonly #d: SipMetricsDeps;
  #closed = false;

  constructor(deps: SipMetricsDeps) {
    this.#d = deps;
  }

  render(): string {
    if (this.#closed) return '';
    // A shadowed stored account does not run (the config file's of its id does): one series per id.
    const accounts = this.#d.accounts.list().filter((a) => !a.shadowed);
    return [
      ...promHeader('portier_sip_account_registered', 'gauge', '1 while the SIP account is registered at its registrar; 0 while registering, failed or disabled.'),
      ...accounts.map((a) => `portier_sip_account_registered{account="${promLabel(a.account.id)}"} ${a.status?.state === 'registered' ? 1 : 0}`),
      ...promHeader('portier_sip_door_stations_registered', 'gauge', 'Door stations registered at Portier now (a live binding).'),
      `portier_sip_door_stations_registered ${this.#d.stations?.bindings.length ?? 0}`,
      '',
    ].join('\n');
  }

  /** Idempotent; it holds no listener, so nothing is left to detach. */
  close(): void {
    this.#closed = true;
  }
}
