// The far end's RTP/RTCP sockets of a SIP leg take an (even, odd) pair of
// sip.rtp_port_min..max: a taken pair is skipped, a full range is a named error,
// and the range is validated when the config loads.
import { afterEach, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { RtpRelay } from '../../src/sip-bridge/index.ts';
import { UnavailableError } from '../../src/core/index.ts';
import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

const bindTo = (port: number): Promise<Socket | undefined> => new Promise((resolve) => {
  const s = createSocket('udp4');
  s.once('error', () => { s.close(); resolve(undefined); });
  s.bind(port, '127.0.0.1', () => resolve(s));
});

/** Four free consecutive ports starting at an even one, held until released. */
async function freeQuad(): Promise<{ base: number; held: Socket[] }> {
  for (;;) {
    const probe = await bindTo(0);
    const base = probe!.address().port & ~1;
    probe!.close();
    if (base + 3 > 65535) continue;
    const held = await Promise.all([0, 1, 2, 3].map((i) => bindTo(base + i)));
    if (held.every((s) => s)) return { base, held: held as Socket[] };
    held.forEach((s) => s?.close());
  }
}

const close = (s: Socket) => new Promise<void>((resolve) => s.close(() => resolve()));

describe('RTP port range of SIP legs', () => {
  const relays: RtpRelay[] = [];
  const sockets: Socket[] = [];
  afterEach(async () => {
    relays.splice(0).forEach((r) => r.close());
    await Promise.all(sockets.splice(0).map(close));
  });

  it('takes free (even, odd) pairs of the range, skips a taken one, and refuses with a named error when none is left', async () => {
    const { base, held } = await freeQuad();
    // base is taken by someone else; base+1..base+3 are free.
    sockets.push(held[0]!);
    await Promise.all(held.slice(1).map(close));
    const relay = await RtpRelay.open('127.0.0.1', { min: base, max: base + 3 });
    relays.push(relay);
    expect([relay.rtpPort, relay.rtcpPort]).toEqual([base + 2, base + 3]);
    const full = RtpRelay.open('127.0.0.1', { min: base, max: base + 3 });
    await expect(full).rejects.toBeInstanceOf(UnavailableError);
    await expect(RtpRelay.open('127.0.0.1', { min: base, max: base + 3 })).rejects.toThrow(`no free RTP port pair in sip.rtp_port_min..sip.rtp_port_max (${base}-${base + 3})`);
  });

  it('starts an odd minimum at the next even port and needs both ports of a pair inside the range', async () => {
    const { base, held } = await freeQuad();
    await Promise.all(held.map(close));
    // base+1..base+4: the only whole pair is (base+2, base+3); base+4 has no base+5 in range.
    const relay = await RtpRelay.open('127.0.0.1', { min: base + 1, max: base + 4 });
    relays.push(relay);
    expect([relay.rtpPort, relay.rtcpPort]).toEqual([base + 2, base + 3]);
    await expect(RtpRelay.open('127.0.0.1', { min: base + 1, max: base + 4 })).rejects.toBeInstanceOf(UnavailableError);
  });

  it('refuses sip.rtp_port_min not below sip.rtp_port_max at load, naming the key; defaults 42000-42999', () => {
    const load = (env: Record<string, string>) => loadConfig({ configDir: join(ROOT, 'config'), cwd: ROOT, env });
    for (const [min, max] of [['43000', '43000'], ['43002', '43001']]) {
      const env = { PORTIER_SIP__RTP_PORT_MIN: min!, PORTIER_SIP__RTP_PORT_MAX: max! };
      expect(() => load(env)).toThrow(ConfigError);
      expect(() => load(env)).toThrow(`config: sip.rtp_port_min = ${min} is invalid; allowed: below sip.rtp_port_max (${max})`);
    }
    expect(() => load({ PORTIER_SIP__RTP_PORT_MIN: '80' })).toThrow('config: sip.rtp_port_min = 80 is invalid; allowed: an integer from 1024 to 65535');
    expect(load({}).sip).toMatchObject({ rtp_port_min: 42000, rtp_port_max: 42999 });
  });
});
