// Component states for /ready and the start/stop order.
export { isReady, disabledComponent, type ComponentState, type ComponentStatus, type StatusSource } from './component.ts';
