// The local CA: a leaf for the configured names that clients trusting /ca.crt
// accept, renewed before it expires.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { createServer, connect, type Server } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { LocalCa, TlsProvider } from '../../src/tls/index.ts';
import { FakeClock } from '../support/services.ts';

const DAY = 24 * 3600 * 1000;

describe('local CA', () => {
  let dir: string;
  let clock: FakeClock;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'portier-ca-')); clock = new FakeClock(); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('issues a leaf signed by the CA for every host name and keeps keys private', async () => {
    const ca = new LocalCa(dir, clock);
    const leaf = await ca.leaf(['lobby.example.com', 'localhost', '10.1.2.3', '::1'], 30 * DAY);
    const cert = new X509Certificate(leaf.cert);
    const caCert = new X509Certificate(leaf.ca!);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(caCert.ca).toBe(true);
    expect(cert.checkHost('lobby.example.com')).toBe('lobby.example.com');
    expect(cert.checkIP('10.1.2.3')).toBe('10.1.2.3');
    expect(cert.subjectAltName).toContain('IP Address:0:0:0:0:0:0:0:1');
    expect(Date.parse(cert.validTo) - clock.now()).toBeGreaterThan(80 * DAY);
    expect(statSync(join(dir, 'tls', 'ca.key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'tls', 'leaf.key')).mode & 0o777).toBe(0o600);
  });

  it('keeps the leaf while it is valid and renews it before expiry or when a name is added', async () => {
    const ca = new LocalCa(dir, clock);
    const first = await ca.leaf(['localhost'], 30 * DAY);
    expect((await ca.leaf(['localhost'], 30 * DAY)).renewed).toBe(false);
    clock.advance(61 * DAY);
    const renewed = await ca.leaf(['localhost'], 30 * DAY);
    expect(renewed.renewed).toBe(true);
    expect(renewed.cert).not.toBe(first.cert);
    expect(renewed.ca).toBe(first.ca);
    expect((await ca.leaf(['localhost', 'desk.example.com'], 30 * DAY)).renewed).toBe(true);
  });

  it('serves TLS that a client trusting only the CA accepts, and emits renewed on renewal', async () => {
    const provider = new TlsProvider({ dataDir: dir, certFile: '', keyFile: '', hostNames: ['localhost'], renewBeforeDays: 30 }, clock);
    await provider.start();
    const server: Server = createServer({ cert: provider.material.cert, key: provider.material.key }, (s) => s.end('hello'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const text = await new Promise<string>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, servername: 'localhost', ca: provider.material.ca });
        let data = '';
        socket.on('data', (d) => { data += d; });
        socket.on('end', () => resolve(data));
        socket.on('error', reject);
      });
      expect(text).toBe('hello');
    } finally {
      server.close();
    }
    const renewed: string[] = [];
    provider.on('renewed', (m) => renewed.push(m.cert));
    expect(await provider.checkRenewal()).toBe(false);
    clock.advance(70 * DAY);
    expect(await provider.checkRenewal()).toBe(true);
    expect(renewed).toHaveLength(1);
    provider.close();
  });
});
