// Single sign-ins sent to the identity provider and not back yet (OIDC and SAML):
// each expires, and they are capped in total and per client address, so a stranger
// cannot use up the sign-ins everyone else needs.
import { RateLimitedError, type Clock } from '../core/index.ts';
import type { SsoSettings } from './sso-accounts.ts';

type PendingLimits = Pick<SsoSettings, 'flowMs' | 'maxPendingFlows' | 'maxPendingFlowsPerAddress'>;

interface Pending<T> { address: string; expiresAt: number; value: T }

export class PendingSignIns<T> {
  // In memory: one node signs a user in from start to answer (a second node needs a shared port here).
  readonly #pending = new Map<string, Pending<T>>();
  /** Also names the config section in the refusal (auth.oidc, auth.saml). */
  readonly #method: 'oidc' | 'saml';
  readonly #limits: PendingLimits;
  readonly #clock: Clock;

  constructor(method: 'oidc' | 'saml', limits: PendingLimits, clock: Clock) {
    this.#method = method;
    this.#limits = limits;
    this.#clock = clock;
  }

  /**
   * Reserves a sign-in under `key` for `address`, synchronously (parallel requests cannot
   * pass the limits together); RateLimitedError beyond either cap.
   */
  reserve(key: string, address: string, value: T): void {
    const now = this.#clock.now();
    const { maxPendingFlows, maxPendingFlowsPerAddress, flowMs } = this.#limits;
    const method = this.#method;
    let fromAddress = 0;
    for (const [k, pending] of this.#pending) {
      if (pending.expiresAt <= now) this.#pending.delete(k);
      else if (pending.address === address) fromAddress++;
    }
    if (fromAddress >= maxPendingFlowsPerAddress) {
      throw new RateLimitedError(`${method}: too many sign-ins in progress from this address (auth.${method}.max_pending_flows_per_address)`, flowMs / 1000);
    }
    if (this.#pending.size >= maxPendingFlows) {
      throw new RateLimitedError(`${method}: too many sign-ins in progress (auth.${method}.max_pending_flows)`, flowMs / 1000);
    }
    this.#pending.set(key, { address, value, expiresAt: now + flowMs });
  }

  /** Removes the sign-in under `key` (single use, whatever happens next); undefined when unknown or expired. */
  take(key: string): T | undefined {
    const pending = this.#pending.get(key);
    this.#pending.delete(key);
    return pending && pending.expiresAt > this.#clock.now() ? pending.value : undefined;
  }

  drop(key: string): void {
    this.#pending.delete(key);
  }
}
