// The sipp fixture's start: a SIP port another process took between the look-up
// and sipp's bind is not mistaken for sipp's own (review s21 #29), and a UAC whose
// video RTP port (the media port + 2, never looked up) is taken starts again on new ports.
import { describe, it, expect } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sipp, boundBy } from './sipp.ts';

const squat = async (port = 0): Promise<Socket> => {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => { socket.once('error', reject); socket.bind(port, '127.0.0.1', () => resolve()); });
  return socket;
};
const release = (socket: Socket) => new Promise<void>((resolve) => socket.close(() => resolve()));

const SCENARIOS = join(import.meta.dirname, '..', 'sip-bridge', 'scenarios');

describe('Sipp.uas', () => {
  it('starts on new ports when another process holds the SIP port: the socket must be sipp\'s own', async () => {
    const squatter = await squat();
    const taken = squatter.address().port;
    try {
      expect(await boundBy(process.pid, taken), 'this process holds it').toBe(true);
      const sipp = await Sipp.uas(join(SCENARIOS, 'busy.xml'), {}, { port: taken });
      try {
        expect(sipp.port).not.toBe(taken);
        expect(await boundBy(sipp.pid, sipp.port), 'sipp holds its port').toBe(true);
        expect(await boundBy(sipp.pid, taken), 'the squatter\'s port is not sipp\'s').toBe(false);
      } finally {
        await sipp.close();
      }
    } finally {
      await release(squatter);
    }
  });
});

describe('Sipp.uac', () => {
  it('starts on new ports when another process holds its video RTP port (media port + 2): sipp would exit before its first call', async () => {
    // Two ports apart: the squatter takes the second, the first is sipp's media port at its first attempt.
    // Other runs on the machine hold ports too: look for a free pair (bounded), never give up on the first.
    let mediaPort = 0;
    let squatter: Socket | undefined;
    for (let tries = 0; !squatter && tries < 50; tries += 1) {
      const first = await squat();
      mediaPort = first.address().port;
      await release(first);
      squatter = await squat(mediaPort + 2).catch(() => undefined);
    }
    if (!squatter) throw new Error('no free pair of UDP ports two apart in 50 tries');
    const peer = await squat();
    const dir = mkdtempSync(join(tmpdir(), 'portier-sipp-test-'));
    const scenario = join(dir, 'options.xml');
    // An OPTIONS the peer never answers: sipp runs until it is closed.
    writeFileSync(scenario, `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="options">
<send retrans="500"><![CDATA[
OPTIONS sip:peer@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:sipp@[local_ip]:[local_port]>;tag=[pid]
To: <sip:peer@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 OPTIONS
Max-Forwards: 70
Content-Length: 0

]]></send>
<recv response="200"/>
</scenario>
`);
    try {
      const sipp = await Sipp.uac(scenario, `127.0.0.1:${peer.address().port}`, { mediaPort });
      try {
        expect(sipp.mediaPort).not.toBe(mediaPort);
        expect(await boundBy(sipp.pid, sipp.port, sipp.mediaPort, sipp.mediaPort + 2), 'sipp holds its SIP and RTP ports').toBe(true);
      } finally {
        await sipp.close();
      }
    } finally {
      await Promise.all([release(squatter), release(peer)]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
