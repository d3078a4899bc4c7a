// Ports named before a peer binds them (test/support/ports.ts): outside the range the kernel hands out for
// port 0 and outgoing connections (CI: worker-pool's base port taken by another file's connection), never one
// something holds, never the same one twice in a process.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ephemeralLow, freePort, freePorts } from './ports.ts';

const held: Array<Server | Socket> = [];
const holdTcp = (port: number) => new Promise<boolean>((resolve) => {
  const server = createServer();
  server.once('error', () => resolve(false));
  server.listen(port, '127.0.0.1', () => { held.push(server); resolve(true); });
});
const holdUdp = (port: number) => new Promise<boolean>((resolve) => {
  const socket = createSocket('udp4');
  socket.once('error', () => { socket.close(); resolve(false); });
  socket.bind(port, '127.0.0.1', () => { held.push(socket); resolve(true); });
});

describe('test ports', () => {
  afterEach(async () => {
    await Promise.all(held.splice(0).map((h) => new Promise<void>((resolve) => h.close(() => resolve()))));
  });

  it('reads the low end of the kernel\'s ephemeral range, 32768 when it cannot', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portier-ports-'));
    try {
      writeFileSync(join(dir, 'range'), '40000\t60999\n');
      expect(ephemeralLow(join(dir, 'range'))).toBe(40_000);
      writeFileSync(join(dir, 'range'), 'garbage\n');
      expect(ephemeralLow(join(dir, 'range'))).toBe(32_768);
      expect(ephemeralLow(join(dir, 'missing'))).toBe(32_768);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hands out ports below that range, each once, consecutive runs and even starts when asked', async () => {
    const low = ephemeralLow();
    const seen = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const port = await freePort();
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(low);
      expect(seen.has(port), `port ${port} twice`).toBe(false);
      seen.add(port);
    }
    const run = await freePorts(4, { even: true });
    expect(run[0]! % 2).toBe(0);
    expect(run).toEqual([run[0], run[0]! + 1, run[0]! + 2, run[0]! + 3]);
    for (const port of run) expect(seen.has(port)).toBe(false);
  });

  it('never hands out a port that something holds, for TCP or for UDP', async () => {
    // Hold the ports after the last one handed out: the next ones this process would look at.
    const last = await freePort();
    const tcpTaken = last + 1;
    const udpTaken = last + 2;
    expect(await holdTcp(tcpTaken)).toBe(true);
    expect(await holdUdp(udpTaken)).toBe(true);
    const next = await freePorts(2);
    expect(next).not.toContain(tcpTaken);
    expect(next).not.toContain(udpTaken);
    // And what it handed out is free for both.
    for (const port of next) {
      expect(await holdTcp(port)).toBe(true);
      expect(await holdUdp(port)).toBe(true);
    }
  });
});
