// What SRTP costs a telephone leg per packet: (1) the transform alone — SrtpSender
// protect and SrtpReceiver unprotect of a 20 ms G.711 packet (172 bytes), for
// AES_CM_128_HMAC_SHA1_80 and _32; (2) the RTP relay with real loopback sockets,
// plain and with SRTP: packets through it both ways (far end → mediasoup side and
// back), CPU of this process per relayed packet. Senders and receivers run in this
// process in both modes, so the difference between the two is what SRTP adds.
// Usage: node scripts/run.mjs node bench/srtp-cost.ts [--smoke]
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { RtpRelay, SrtpReceiver, SrtpSender, randomMasterKey, type SrtpKeys, type SrtpSuite } from '../src/sip-bridge/index.ts';
import { print, smoke } from './lib.ts';

const TRANSFORM_PACKETS = smoke ? 2_000 : 20_000;
const RELAY_PACKETS = smoke ? 400 : 5_000;
/** Packets in flight at once through the relay (no loss on loopback, as a call's 50/s never is). */
const BURST = 40;

function rtp(seq: number, ssrc: number, payloadType = 8): Buffer {
  const p = Buffer.alloc(12 + 160, 0xd5);
  p[0] = 0x80;
  p[1] = payloadType;
  p.writeUInt16BE(seq & 0xffff, 2);
  p.writeUInt32BE((seq * 160) >>> 0, 4);
  p.writeUInt32BE(ssrc, 8);
  return p;
}

const cpuUs = (): number => { const u = process.cpuUsage(); return u.user + u.system; };

/** Wall time and CPU time (of this process: on a loaded machine the wall time mostly measures waiting) per packet. */
function transform(suite: SrtpSuite): { protect_ns_per_packet: number; unprotect_ns_per_packet: number; protect_cpu_ns_per_packet: number; unprotect_cpu_ns_per_packet: number } {
  const key = randomMasterKey(suite);
  const sender = new SrtpSender(key);
  const receiver = new SrtpReceiver(key);
  const plain = Array.from({ length: TRANSFORM_PACKETS }, (_, i) => rtp(i, 0x1234));
  let t = performance.now();
  let cpu = cpuUs();
  const protectedPackets = plain.map((p) => sender.rtp(p)!);
  const protectNs = ((performance.now() - t) * 1e6) / TRANSFORM_PACKETS;
  const protectCpuNs = ((cpuUs() - cpu) * 1e3) / TRANSFORM_PACKETS;
  t = performance.now();
  cpu = cpuUs();
  let ok = 0;
  for (const p of protectedPackets) if (receiver.rtp(p)) ok++;
  const unprotectNs = ((performance.now() - t) * 1e6) / TRANSFORM_PACKETS;
  const unprotectCpuNs = ((cpuUs() - cpu) * 1e3) / TRANSFORM_PACKETS;
  if (ok !== TRANSFORM_PACKETS) throw new Error(`only ${ok} of ${TRANSFORM_PACKETS} packets unprotected`);
  return {
    protect_ns_per_packet: Math.round(protectNs), unprotect_ns_per_packet: Math.round(unprotectNs),
    protect_cpu_ns_per_packet: Math.round(protectCpuNs), unprotect_cpu_ns_per_packet: Math.round(unprotectCpuNs),
  };
}

async function bound(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  return s;
}

/** Relays RELAY_PACKETS each way; CPU µs of this process per relayed packet. */
async function relay(srtp: boolean): Promise<{ cpu_us_per_packet: number; relayed: number }> {
  const r = await RtpRelay.open('127.0.0.1');
  const phone = await bound();
  const sfu = await bound();
  const phoneKey = randomMasterKey('AES_CM_128_HMAC_SHA1_80');
  const ourKey = randomMasterKey('AES_CM_128_HMAC_SHA1_80');
  r.connectSfu({ ip: '127.0.0.1', port: sfu.address().port });
  r.connectRemote({ address: '127.0.0.1', rtpPort: phone.address().port, rtcpPort: phone.address().port + 1, payloadType: 8 }, 8);
  if (srtp) r.secure({ send: ourKey, receive: phoneKey } satisfies SrtpKeys);
  const phoneSender = new SrtpSender(phoneKey);
  // The far end's packets, prepared before the clock starts (its encryption is not Portier's cost).
  const fromPhone = Array.from({ length: RELAY_PACKETS }, (_, i) => (srtp ? phoneSender.rtp(rtp(i, 0xabc))! : rtp(i, 0xabc)));
  const fromSfu = Array.from({ length: RELAY_PACKETS }, (_, i) => rtp(i, 0xdef));
  let atSfu = 0;
  let atPhone = 0;
  let wake: (() => void) | undefined;
  sfu.on('message', () => { atSfu++; wake?.(); });
  phone.on('message', () => { atPhone++; wake?.(); });
  const until = (done: () => boolean) => new Promise<void>((resolve) => {
    if (done()) { resolve(); return; }
    wake = () => { if (done()) { wake = undefined; resolve(); } };
  });
  const inner = r.innerAddress;
  const start = cpuUs();
  for (let sent = 0; sent < RELAY_PACKETS; sent += BURST) {
    const end = Math.min(RELAY_PACKETS, sent + BURST);
    for (let i = sent; i < end; i++) {
      phone.send(fromPhone[i]!, r.rtpPort, '127.0.0.1');
      sfu.send(fromSfu[i]!, inner.port, inner.ip);
    }
    await until(() => atSfu >= end && atPhone >= end);
  }
  const cpu = cpuUs() - start;
  const relayed = r.counters.fromRemote + r.counters.toRemote;
  r.close();
  phone.close();
  sfu.close();
  return { cpu_us_per_packet: Number((cpu / relayed).toFixed(2)), relayed };
}

// Warm-up (JIT, OpenSSL contexts), then the measured runs.
transform('AES_CM_128_HMAC_SHA1_80');
const result = {
  bench: 'srtp-cost',
  transform_packets: TRANSFORM_PACKETS,
  packet_bytes: 172,
  aes_cm_128_hmac_sha1_80: transform('AES_CM_128_HMAC_SHA1_80'),
  aes_cm_128_hmac_sha1_32: transform('AES_CM_128_HMAC_SHA1_32'),
  relay_packets_each_way: RELAY_PACKETS,
  relay_plain: await relay(false),
  relay_srtp: await relay(true),
};
print({ ...result, relay_srtp_added_us_per_packet: Number((result.relay_srtp.cpu_us_per_packet - result.relay_plain.cpu_us_per_packet).toFixed(2)) });
