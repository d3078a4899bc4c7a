// What every component of the gateway exposes to the lifecycle and to /ready.
export type ComponentState = 'starting' | 'ready' | 'degraded' | 'draining' | 'disabled' | 'closed';

export interface ComponentStatus {
  state: ComponentState;
  [detail: string]: unknown;
}

export interface StatusSource {
  readonly name: string;
  status(): ComponentStatus;
}

/** A component is ready when it is ready or disabled (not configured); the SLA samples count this. */
export const isReady = (s: ComponentStatus): boolean => s.state === 'ready' || s.state === 'disabled';

/**
 * Whether the gateway still serves with this component as it is — what /ready answers.
 * Degraded is impaired but serving (a lost SIP registration, one of several media
 * workers restarting): a load balancer must not take the building's gateway out for it.
 */
export const isServing = (s: ComponentStatus): boolean => isReady(s) || s.state === 'degraded';

/** A component that is not configured (or not built yet) and says why in /ready. */
export function disabledComponent(name: string, reason: string): StatusSource {
  return { name, status: () => ({ state: 'disabled', reason }) };
}
