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

/** A component is ready for /ready when it is ready or disabled (not configured). */
export const isReady = (s: ComponentStatus): boolean => s.state === 'ready' || s.state === 'disabled';

/** A component that is not configured (or not built yet) and says why in /ready. */
export function disabledComponent(name: string, reason: string): StatusSource {
  return { name, status: () => ({ state: 'disabled', reason }) };
}
