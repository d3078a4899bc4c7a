// Ports a test must name before a peer binds them: Kamailio's and baresip's
// config, an IdP's and the gateway's URLs, a media worker's rtc.base_port,
// mosquitto for the benches.
//
// A port the kernel hands out for port 0 and that is closed again lies in the
// ephemeral range (/proc/sys/net/ipv4/ip_local_port_range, 32768–60999 on
// Linux). Until the peer binds it, any socket another file binds to port 0 and
// any outgoing TCP connection can take it: CI failed on exactly that
// (test/sfu/worker-pool: "uv_listen() failed … port:47112: address already in
// use"). These ports come from below that range, which the kernel never hands
// out on its own, in a block of its own per test worker (VITEST_POOL_ID; the
// process id outside vitest), so two files that run at once never choose the
// same one; each is checked free for UDP and TCP on 127.0.0.1 before it is
// handed out, and a process goes round its whole block before it hands one out
// again.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { KERNEL_FILES, parseRange } from '../../src/lifecycle/ephemeral-ports.ts';

const FLOOR = 10_000;
const BLOCK = 1_500;

/** The lowest port the kernel hands out on its own (32768 if the file cannot be read). */
export function ephemeralLow(path = KERNEL_FILES.range): number {
  let low: number | undefined;
  try { low = parseRange(readFileSync(path, 'utf8'))?.low; } catch { /* no /proc: Linux's default */ }
  return low !== undefined && low > FLOOR + BLOCK ? low : 32_768;
}

const blocks = Math.floor((ephemeralLow() - FLOOR) / BLOCK);
const slot = (() => {
  const pool = Number(process.env.VITEST_POOL_ID);
  return (Number.isInteger(pool) && pool > 0 ? pool : process.pid) % blocks;
})();
const first = FLOOR + slot * BLOCK;
// Where in the block to start: a later process of the same slot (isolated files) starts elsewhere,
// away from ports a peer of the previous file may still hold while it exits.
let next = (process.pid * 7) % BLOCK;

function udpFree(port: number): Promise<boolean> {
  const socket = createSocket('udp4');
  return new Promise((resolve) => {
    socket.once('error', () => { socket.close(); resolve(false); });
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

function tcpFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Thrown when a block has no run of free ports left (something else holds most of it). */
export class NoFreePortsError extends Error {
  constructor(count: number) {
    super(`test ports: no ${count} consecutive free ports left in ${first}–${first + BLOCK - 1} (block ${slot})`);
    this.name = 'NoFreePortsError';
  }
}

/**
 * `count` consecutive ports, each free for UDP and TCP on 127.0.0.1 now, outside the ephemeral range and
 * not handed out by this process since it last went round its block. The first is even when `even` is set
 * (RTP/RTCP pairs).
 */
export async function freePorts(count: number, opts: { even?: boolean } = {}): Promise<number[]> {
  for (let looked = 0; looked < BLOCK;) {
    if (opts.even && (first + next) % 2 !== 0) { next = (next + 1) % BLOCK; looked++; continue; }
    if (next + count > BLOCK) { looked += BLOCK - next; next = 0; continue; }
    const ports = Array.from({ length: count }, (_, i) => first + next + i);
    next = (next + count) % BLOCK;
    looked += count;
    let free = true;
    for (const port of ports) if (!(await udpFree(port)) || !(await tcpFree(port))) { free = false; break; }
    if (free) return ports;
  }
  throw new NoFreePortsError(count);
}

/** One port free for UDP and TCP (see freePorts). */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}
