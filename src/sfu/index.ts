// The SFU: mediasoup workers, their WebRtcServers, and the media of calls (the
// calls component's MediaPort).
export { WorkerPool, type WorkerPoolOptions, type WorkerPoolEvents, type WorkerStatus } from './worker-pool.ts';
export type { ListenEntry, SlotPorts } from './worker-slot.ts';
export { SfuCallMedia, ROUTER_CODECS, H264_PROFILES, defaultMixOptions, type MediaAppData, type MixOptions } from './call-media.ts';
export { MixBudget } from './mix-budget.ts';
export { ParticipantMix, type MixSettings } from './participant-mix.ts';
export { SfuMediaPort } from './sfu-media-port.ts';
