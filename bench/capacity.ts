// SFU capacity: how many simultaneous calls (terminal ↔ desk, opus + VP8 each
// way, ~1.1 Mbit/s per direction) one worker forwards before packet loss
// appears — through Portier's MediaPort, composed as src/gateway.ts hands it to
// the call service (the SFU's port watched by the quality monitor, which reads
// every call's stats each interval), driven only through the calls component's
// MediaPort/CallMedia interface — and through bare mediasoup (worker + router +
// plain transports, no Portier) in the same run. Senders and receiver are Node
// UDP sockets on loopback.
// Usage: node scripts/run.mjs node bench/capacity.ts [--smoke]
import { join } from 'node:path';
import pino from 'pino';
import * as mediasoup from 'mediasoup';
import type { types as ms } from 'mediasoup';
import { WorkerPool, SfuMediaPort, ROUTER_CODECS } from '../src/sfu/index.ts';
import type { MediaParameters, MediaPort } from '../src/calls/index.ts';
import { QualityMonitor, SfuStatsSource, qualitySettings } from '../src/quality/index.ts';
import { loadConfig } from '../src/config/index.ts';
import { systemClock } from '../src/core/index.ts';
import { projectRoot } from '../src/core/project-root.ts';
import { AUDIO, VIDEO, Receiver, send, type StreamSpec } from './rtp-load.ts';
import { smoke, print } from './lib.ts';

const STEPS = smoke ? [2] : [5, 10, 20, 40, 60, 80];
const SECONDS = smoke ? 1 : 4;
const LOSS_LIMIT_PCT = 0.5;
const workerBin = process.env.MEDIASOUP_WORKER_BIN;

type Leg = { sendTo: Array<StreamSpec & { port: number }>; close: () => void };

const rtpParameters = (spec: StreamSpec): ms.RtpParameters => ({
  codecs: [spec.video
    ? { mimeType: 'video/VP8', payloadType: spec.payloadType, clockRate: 90000 }
    : { mimeType: 'audio/opus', payloadType: spec.payloadType, clockRate: 48000, channels: 2 }],
  encodings: [{ ssrc: spec.ssrc }],
});

type Plain = { id: string; port: number; connect: (port: number) => Promise<void> };

/** One direction of a call on a router: a comedia plain transport in, a plain transport out to the receiver. */
async function direction(
  makeTransport: (comedia: boolean) => Promise<Plain>,
  produce: (t: Plain, spec: StreamSpec) => Promise<string>,
  consume: (t: Plain, producerId: string) => Promise<void>,
  receiverPort: number, ssrcBase: number,
): Promise<Array<StreamSpec & { port: number }>> {
  const input = await makeTransport(true);
  const output = await makeTransport(false);
  await output.connect(receiverPort);
  const streams: Array<StreamSpec & { port: number }> = [];
  for (const [i, kind] of [AUDIO, VIDEO].entries()) {
    const spec = { ...kind, ssrc: ssrcBase + i };
    await consume(output, await produce(input, spec));
    streams.push({ ...spec, port: input.port });
  }
  return streams;
}

async function portierCall(port: MediaPort, receiverPort: number, n: number): Promise<Leg> {
  const media = await port.open(`bench-${n}`);
  // Each participant holds two plain transports: its input (comedia) and its output to the receiver.
  for (const id of ['terminal', 'desk'] as const) media.join({ id, kind: id });
  const streams: Array<StreamSpec & { port: number }> = [];
  for (const [i, party] of (['terminal', 'desk'] as const).entries()) {
    const other = party === 'terminal' ? 'desk' : 'terminal';
    streams.push(...await direction(
      async (comedia) => {
        const owner = comedia ? party : other;
        const t = await media.createPlainTransport(owner, { ip: '127.0.0.1', comedia });
        return { id: t.id, port: t.port, connect: (p) => media.connectPlain(owner, t.id, { ip: '127.0.0.1', port: p }) };
      },
      async (t, spec) => media.produce(party, t.id, spec.video ? 'video' : 'audio', rtpParameters(spec) as unknown as MediaParameters),
      async (t, producerId) => { const c = await media.consume(other, t.id, producerId, media.rtpCapabilities); await media.resume(other, c.id); },
      receiverPort, 1_000_000 + n * 10 + i * 4,
    ));
  }
  return { sendTo: streams, close: () => media.close() };
}

async function bareCall(worker: ms.Worker, receiverPort: number, n: number): Promise<Leg> {
  const router = await worker.createRouter({ mediaCodecs: ROUTER_CODECS });
  const transports = new Map<string, ms.PlainTransport>();
  const streams: Array<StreamSpec & { port: number }> = [];
  for (let i = 0; i < 2; i++) {
    streams.push(...await direction(
      async (comedia) => {
        const t = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia });
        transports.set(t.id, t);
        return { id: t.id, port: t.tuple.localPort, connect: (p) => t.connect({ ip: '127.0.0.1', port: p }) };
      },
      async (t, spec) => (await transports.get(t.id)!.produce({ kind: spec.video ? 'video' : 'audio', rtpParameters: rtpParameters(spec) })).id,
      async (t, producerId) => { await transports.get(t.id)!.consume({ producerId, rtpCapabilities: router.rtpCapabilities }); },
      receiverPort, 2_000_000 + n * 10 + i * 4,
    ));
  }
  return { sendTo: streams, close: () => router.close() };
}

async function measure(make: (n: number) => Promise<Leg>, receiver: Receiver, calls: number) {
  const legs: Leg[] = [];
  for (let n = 0; n < calls; n++) legs.push(await make(n));
  receiver.reset();
  const sent = await send(legs.flatMap((l) => l.sendTo), SECONDS);
  const stats = receiver.stats();
  legs.forEach((l) => l.close());
  // Loss from the sequence numbers of every forwarded stream, and delivery against what was sent.
  return { calls, sent, received: stats.received, streams: stats.streams, lossPct: Math.max(stats.lossPct, Number((100 * (1 - stats.received / sent)).toFixed(3))) };
}

const receiver = new Receiver();
const port = await receiver.bind();
const pool = new WorkerPool({ workers: 1, basePort: 0, listen: [{ ip: '127.0.0.1' }], minPort: 44000, maxPort: 44999, workerBin, logger: pino({ level: 'silent' }) });
await pool.start();
// The port the call service gets in src/gateway.ts: the SFU's, watched by the quality monitor (summaries dropped).
const root = projectRoot(import.meta.dirname);
const config = loadConfig({ configDir: join(root, 'config'), cwd: root, env: process.env });
const quality = new QualityMonitor({ clock: systemClock, stats: new SfuStatsSource(), recorder: { save: async () => undefined }, settings: qualitySettings(config) });
quality.on('error', (error) => process.stderr.write(`capacity: quality monitor: ${error.message}\n`));
const mediaPort: MediaPort = quality.watch(new SfuMediaPort(pool));
const bareWorker = await mediasoup.createWorker({ logLevel: 'warn', rtcMinPort: 45000, rtcMaxPort: 45999, ...(workerBin ? { workerBin } : {}) });
const steps: Array<{ calls: number; portier: unknown; bare: unknown }> = [];
let portierMax = 0;
let bareMax = 0;
for (const calls of STEPS) {
  const bare = await measure((n) => bareCall(bareWorker, port, n), receiver, calls);
  const portier = await measure((n) => portierCall(mediaPort, port, n), receiver, calls);
  steps.push({ calls, portier, bare });
  if (portier.lossPct <= LOSS_LIMIT_PCT) portierMax = calls;
  if (bare.lossPct <= LOSS_LIMIT_PCT) bareMax = calls;
  if (portier.lossPct > LOSS_LIMIT_PCT && bare.lossPct > LOSS_LIMIT_PCT) break;
}
await quality.close();
await pool.close();
bareWorker.close();
receiver.close();
print({
  bench: 'capacity', seconds_per_step: SECONDS, loss_limit_pct: LOSS_LIMIT_PCT,
  mbit_per_call: Number((((AUDIO.pps * (AUDIO.bytes + 12) + VIDEO.pps * (VIDEO.bytes + 12)) * 8 * 2) / 1e6).toFixed(2)),
  max_calls_without_loss: { portier: portierMax, bare_mediasoup: bareMax },
  ratio_vs_bare: bareMax ? Number((portierMax / bareMax).toFixed(2)) : null,
  steps,
});
