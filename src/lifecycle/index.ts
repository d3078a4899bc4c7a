// Component states for /ready and the start/stop order.
export { isReady, isServing, disabledComponent, type ComponentState, type ComponentStatus, type StatusSource } from './component.ts';
export { describePortClash, clashedPort } from './port-clash.ts';
export { ephemeralPortWarning, KERNEL_FILES, type PortRange } from './ephemeral-ports.ts';
