// Signaling between terminals, desks and the gateway: socket.io over the HTTPS
// (and localhost HTTP) server, the typed contract shared with the pages.
export { SignalingServer } from './signaling-server.ts';
export { TERMINAL_COOKIE } from '../core/index.ts';
export { DeskRegistry } from './desk-registry.ts';
export type { SignalingDeps } from './context.ts';
export * from './contract.ts';
export { SignalingHubPorts } from './hub-ports.ts';
export { AdminChangeLog } from './admin-change-log.ts';
export { administersAnything } from './admin-changes.ts';
export { pingSignaling, localBase, type ProbeTarget } from './probe-client.ts';
