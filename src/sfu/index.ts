// The SFU: mediasoup workers, their WebRtcServers, and the media of calls (the
// calls component's MediaPort).
export { WorkerPool, type WorkerPoolOptions, type WorkerPoolEvents, type WorkerStatus } from './worker-pool.ts';
export { WorkerMetrics, WORKER_USAGE_TIMEOUT_MS, type WorkerMetricsDeps } from './worker-metrics.ts';
export type { ListenEntry, SlotPorts } from './worker-slot.ts';
export { SfuCallMedia } from './call-media.ts';
export { ROUTER_CODECS, H264_PROFILES } from './router-codecs.ts';
export type { MediaAppData } from './participant-media.ts';
export { MixBudget, defaultMixOptions, type MixOptions } from './mix-budget.ts';
export { ParticipantMix, type MixSettings } from './participant-mix.ts';
export { SfuMediaPort } from './sfu-media-port.ts';
