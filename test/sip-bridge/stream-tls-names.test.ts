// Which name a TLS connection to an address is verified as (review s23 #3): only a name
// from the account's configuration (registrar, secondaries, outbound proxy) resolving to
// that address:port — never a name some SIP message named (Contact, Record-Route, Via)
// that the transport happened to reach before; and a connection verified for one name
// is not reused for a request to another name at the same address.
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { readFileSync } from 'node:fs';
import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { StreamTransport, type StreamTransportOptions } from '../../src/sip-bridge/stream-transport.ts';
import { TestCa } from '../support/test-ca.ts';
import { ManualClock } from '../support/manual-clock.ts';
import type { HostPort } from '../../src/sip-bridge/sip-wire.ts';

let ca: TestCa;
/** A TLS server on 127.0.0.1 whose certificate names only attacker.example (a name its holder controls). */
let evil: Server;
/** A TLS server on 127.0.0.1 whose certificate names only pbx.example (the configured registrar). */
let pbx: Server;
const sockets = new Set<TLSSocket>();
const handshakes = { evil: 0, pbx: 0 };

const NAMES: Record<string, string> = { 'attacker.example': '127.0.0.1', 'pbx.example': '127.0.0.1' };
const lookup = async (host: string): Promise<string> => NAMES[host] ?? Promise.reject(new Error(`no such host ${host}`));

async function tlsServer(cert: { cert: string; key: string }, which: keyof typeof handshakes): Promise<Server> {
  const server = createServer({ cert: readFileSync(cert.cert), key: readFileSync(cert.key) }, (s) => {
    handshakes[which]++;
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
const portOf = (s: Server): number => (s.address() as { port: number }).port;

beforeAll(async () => {
  ca = await TestCa.create('names CA');
  evil = await tlsServer(await ca.server('attacker.example', { dns: ['attacker.example'] }), 'evil');
  pbx = await tlsServer(await ca.server('pbx.example', { dns: ['pbx.example'] }), 'pbx');
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all([evil, pbx].map((s) => s && new Promise<void>((resolve) => s.close(() => resolve()))));
  ca?.close();
});

function transport(servers: HostPort[]): StreamTransport {
  const options: StreamTransportOptions = {
    clock: new ManualClock(), protocol: 'TLS', bindHost: '127.0.0.1', bindPort: 0, advertisedHost: '127.0.0.1',
    idleMs: 60_000, maxConnections: 8, tls: { ca: readFileSync(ca.cert) }, lookup, servers,
  };
  return new StreamTransport(undefined, options);
}

let n = 0;
const options = (uri: string): string => {
  n++;
  return [`OPTIONS ${uri} SIP/2.0`, `Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK-names-${n}`, 'Max-Forwards: 70',
    `To: <${uri}>`, 'From: <sip:portier@127.0.0.1>;tag=a', `Call-ID: names-${n}`, `CSeq: ${n} OPTIONS`, 'Content-Length: 0', '', ''].join('\r\n');
};
/** 'sent', or the code of the TLS failure the send was refused with. */
const attempt = async (t: StreamTransport, uri: string): Promise<string> => {
  try {
    await t.send(options(uri));
    return 'sent';
  } catch (error) {
    return String((error as { why?: { params?: { code?: string } } }).why?.params?.code ?? (error as Error).message);
  }
};
/** The servers drop every connection (once the server side has it too); the transport has noticed once it holds none. */
async function dropAll(t: StreamTransport): Promise<void> {
  await vi.waitFor(() => expect(sockets.size).toBe(t.connections));
  for (const s of sockets) s.destroy();
  await vi.waitFor(() => expect(t.connections).toBe(0));
}

describe('TLS: the name an address is verified as', () => {
  it('a name from a message that resolves to an address does not become that address\'s identity', async () => {
    const t = transport([{ host: 'pbx.example', port: portOf(pbx) }]);
    await t.connect();
    try {
      const p = portOf(evil);
      expect(await attempt(t, `sip:127.0.0.1:${p};transport=tls`)).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
      // A Contact/Record-Route/Via naming attacker.example: its own certificate, verified as that name.
      expect(await attempt(t, `sip:x@attacker.example:${p};transport=tls`)).toBe('sent');
      await dropAll(t);
      // The address again: still verified as the address (it used to be verified as attacker.example).
      expect(await attempt(t, `sip:127.0.0.1:${p};transport=tls`)).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
      expect(t.tlsFailure?.why.reason).toBe('sip.tls-untrusted');
    } finally {
      await t.disconnect();
    }
  });

  it('an address a configured server resolves to is verified as that configured name, even before the name was used', async () => {
    const t = transport([{ host: 'pbx.example', port: portOf(pbx) }]);
    await t.connect();
    try {
      // A Record-Route naming the registrar's address.
      expect(await attempt(t, `sip:127.0.0.1:${portOf(pbx)};transport=tls;lr`)).toBe('sent');
      expect(t.tlsFailure).toBeUndefined();
    } finally {
      await t.disconnect();
    }
  });

  it('a connection verified for one name is not reused for a request to another name at the same address', async () => {
    const p = portOf(evil);
    // The configured registrar is pbx.example at the port where attacker.example's server listens.
    const t = transport([{ host: 'pbx.example', port: p }]);
    await t.connect();
    try {
      const before = handshakes.evil;
      expect(await attempt(t, `sip:x@attacker.example:${p};transport=tls`)).toBe('sent');
      expect(t.connections).toBe(1);
      // The registrar by its name: a connection of its own, verified as pbx.example — which this certificate is not.
      expect(await attempt(t, `sip:pbx.example:${p};transport=tls`)).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
      expect(handshakes.evil - before).toBe(1);
    } finally {
      await t.disconnect();
    }
  });
});
