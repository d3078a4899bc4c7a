// The stream transport's TLS listener (the door stations' TLS socket): it presents
// the certificate it was given and, once renewed, the new one from the next
// handshake on; connections still in their handshake count against its limit, so a
// flood of silent handshakes cannot grow without bound.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { StreamListener, type ServerCertificate } from '../../src/sip-bridge/stream-listener.ts';
import { TestCa } from '../support/test-ca.ts';

describe('stream listener over TLS', () => {
  let ca: TestCa;
  let first: ServerCertificate;
  let second: ServerCertificate;
  let listener: StreamListener | undefined;
  const sockets: Socket[] = [];

  const pem = (c: { cert: string; key: string }): ServerCertificate => ({ cert: readFileSync(c.cert, 'utf8'), key: readFileSync(c.key, 'utf8') });
  const fingerprint = (c: ServerCertificate) => new X509Certificate(c.cert).fingerprint256;

  beforeAll(async () => {
    ca = await TestCa.create('Portier listener test CA');
    first = pem(await ca.server('portier.test', { dns: ['portier.test'], ip: ['127.0.0.1'] }));
    second = pem(await ca.server('portier.test', { dns: ['portier.test'], ip: ['127.0.0.1'] }));
  });
  afterAll(() => ca?.close());
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await listener?.close();
    listener = undefined;
  });

  /** A verified TLS client's view of the certificate the listener presents. */
  const presented = async (port: number): Promise<string | undefined> => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca: readFileSync(ca.cert), servername: 'portier.test' });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => { socket.once('secureConnect', resolve); socket.once('error', reject); });
    expect(socket.authorized).toBe(true);
    return socket.getPeerX509Certificate()?.fingerprint256;
  };

  it('presents its certificate, and a renewed one from the next handshake on', async () => {
    const accepted: Socket[] = [];
    let bothHandedOver: () => void = () => {};
    const handedOver = new Promise<void>((resolve) => { bothHandedOver = resolve; });
    listener = new StreamListener({ protocol: 'TLS', bindHost: '127.0.0.1', bindPort: 0, certificate: first, onSocket: (s) => {
      sockets.push(s);
      if (accepted.push(s) === 2) bothHandedOver();
    } });
    await listener.listen();
    expect(await presented(listener.port)).toBe(fingerprint(first));
    listener.setCertificate(second);
    expect(await presented(listener.port)).toBe(fingerprint(second));
    // Each handshaken connection is handed over (the server's side may finish after the client's).
    await handedOver;
  });

  /** A TCP client that never starts its handshake. */
  const raw = (localAddress = '127.0.0.1'): Promise<Socket> => new Promise((resolve, reject) => {
    const s = tcpConnect({ port: listener!.port, host: '127.0.0.1', localAddress }, () => resolve(s));
    s.once('error', reject);
    sockets.push(s);
  });

  it('connections in their handshake count against maxConnections: past it a new one is closed at once', async () => {
    listener = new StreamListener({ protocol: 'TLS', bindHost: '127.0.0.1', bindPort: 0, certificate: first, maxConnections: 2, onSocket: (s) => sockets.push(s) });
    await listener.listen();
    // Two clients that never start their handshake hold both places.
    const silent = [await raw(), await raw()];
    const third = await raw();
    await new Promise<void>((resolve) => third.once('close', () => resolve()));
    expect(silent.every((s) => !s.destroyed)).toBe(true);
  });

  it('one source holds at most its share of connections in their handshake; another source still completes its handshake (review s26 #9)', async () => {
    const refused: string[] = [];
    listener = new StreamListener({
      protocol: 'TLS', bindHost: '127.0.0.1', bindPort: 0, certificate: first, maxConnections: 4, maxConnectionsPerSource: 2,
      onSourceRefused: (source) => refused.push(source), onSocket: (s) => sockets.push(s),
    });
    await listener.listen();
    const silent = [await raw(), await raw()];
    const third = await raw();
    await new Promise<void>((resolve) => third.once('close', () => resolve()));
    expect(silent.every((s) => !s.destroyed)).toBe(true);
    expect(refused).toEqual(['127.0.0.1']);
    // Without the share the silent ones would fill maxConnections: two more from the same address are refused too.
    const more = [await raw(), await raw()];
    await Promise.all(more.map((s) => new Promise<void>((resolve) => s.once('close', () => resolve()))));
    // From another source (tls.connect hands localAddress to net.connect; its type does not list it).
    const otherSource = { localAddress: '127.0.0.2' };
    const station = tlsConnect({ ...otherSource, host: '127.0.0.1', port: listener.port, ca: readFileSync(ca.cert), servername: 'portier.test' });
    sockets.push(station);
    await new Promise<void>((resolve, reject) => { station.once('secureConnect', resolve); station.once('error', reject); });
    expect(station.authorized).toBe(true);
  });

  it('a handshake not done within handshakeMs is dropped, and its place is free again', async () => {
    listener = new StreamListener({ protocol: 'TLS', bindHost: '127.0.0.1', bindPort: 0, certificate: first, handshakeMs: 200, maxConnectionsPerSource: 1, onSocket: (s) => sockets.push(s) });
    await listener.listen();
    const silent = await raw();
    await new Promise<void>((resolve) => silent.once('close', () => resolve()));
    expect(await presented(listener.port)).toBe(fingerprint(first));
  });
});
