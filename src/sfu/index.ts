// The SFU: mediasoup workers, their WebRtcServers, routers for calls.
export { WorkerPool, type WorkerPoolOptions, type WorkerPoolEvents, type WorkerStatus } from './worker-pool.ts';
export type { ListenEntry, SlotPorts } from './worker-slot.ts';
export { CallMedia, ROUTER_CODECS, type Party, type CallMediaEvents } from './call-media.ts';
