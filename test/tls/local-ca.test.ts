// The local CA: a leaf for the configured names that clients trusting /ca.crt
// accept, renewed before it expires; the CA itself is name-constrained to those
// names (openssl refuses a leaf its key signs for any other) and replaced when they change.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { createServer, connect, type Server } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { LocalCa, TlsProvider } from '../../src/tls/index.ts';
import { defaultPermitted } from '../../src/tls/name-constraints.ts';
import { FakeClock } from '../support/services.ts';
import { requireOnPath } from '../support/tools.ts';
import { SecretBox, parseMasterKey } from '../../src/secrets/index.ts';
import { readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

/** Runs openssl; resolves with its exit code and output (verification failures are not thrown). */
function openssl(args: string[], cwd: string): { ok: boolean; out: string } {
  requireOnPath('openssl', 'install Debian package openssl');
  try {
    return { ok: true, out: execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return { ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** What an attacker holding the CA's key would do: sign a leaf for `san` (e.g. DNS:bank.example) with it. */
function rogueLeaf(tlsDir: string, san: string): string {
  const made = openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'rogue.key',
    '-subj', '/CN=rogue', '-addext', `subjectAltName=${san}`, '-out', 'rogue.csr'], tlsDir);
  expect(made.ok, made.out).toBe(true);
  const signed = openssl(['x509', '-req', '-in', 'rogue.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-copy_extensions', 'copy', '-days', '1', '-out', 'rogue.crt'], tlsDir);
  expect(signed.ok, signed.out).toBe(true);
  return 'rogue.crt';
}

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

  it('seals both private keys under the master key: no PEM on disk, the same CA after a restart, a plain key from before sealed, a rotated key re-sealed', async () => {
    const key = () => parseMasterKey(randomBytes(32).toString('hex'), 'test key');
    const first = key();
    const issued = await new LocalCa(dir, clock, new SecretBox(first)).leaf(['localhost'], 30 * DAY);
    const caKey = join(dir, 'tls', 'ca.key');
    const leafKey = join(dir, 'tls', 'leaf.key');
    for (const path of [caKey, leafKey]) {
      expect(readFileSync(path, 'utf8')).toMatch(/^enc:v1:/);
      expect(readFileSync(path, 'utf8')).not.toContain('PRIVATE KEY');
      expect(statSync(path).mode & 0o777).toBe(0o600);
    }
    expect(issued.key).toContain('BEGIN PRIVATE KEY');
    // A restart opens the sealed CA key and signs a new leaf with the same CA.
    clock.advance(61 * DAY);
    const renewed = await new LocalCa(dir, clock, new SecretBox(first)).leaf(['localhost'], 30 * DAY);
    expect(renewed.renewed).toBe(true);
    expect(renewed.ca).toBe(issued.ca);
    expect(new X509Certificate(renewed.cert).verify(new X509Certificate(issued.ca!).publicKey)).toBe(true);
    // A CA key written plain (before keys were sealed) is sealed at the next start, the CA unchanged.
    writeFileSync(caKey, new SecretBox(first).open(readFileSync(caKey, 'utf8'), 'ca.key').value);
    expect(readFileSync(caKey, 'utf8')).toContain('BEGIN PRIVATE KEY');
    const resealing = new LocalCa(dir, clock, new SecretBox(first));
    expect((await resealing.leaf(['localhost'], 30 * DAY)).ca).toBe(issued.ca);
    expect(readFileSync(caKey, 'utf8')).toMatch(/^enc:v1:/);
    // … and named, so the gateway can warn that the plain bytes may survive elsewhere (backups, freed blocks).
    expect(resealing.sealedFromPlain).toEqual([caKey]);
    const next = new LocalCa(dir, clock, new SecretBox(first));
    await next.leaf(['localhost'], 30 * DAY);
    expect(next.sealedFromPlain).toEqual([]);
    // A rotation: the new master key with the old one as previous re-seals both keys, which then open with the new key alone.
    const second = key();
    expect((await new LocalCa(dir, clock, new SecretBox(second, [first])).leaf(['localhost'], 30 * DAY)).ca).toBe(issued.ca);
    expect((await new LocalCa(dir, clock, new SecretBox(second)).leaf(['localhost'], 30 * DAY)).ca).toBe(issued.ca);
    // Under a wrong key the CA does not open: an error naming the file, never a silently new CA.
    await expect(new LocalCa(dir, clock, new SecretBox(key())).leaf(['localhost'], 30 * DAY)).rejects.toThrow(/ca\.key/);
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

  it('constrains the CA to the configured names: openssl accepts the leaf and refuses a leaf the CA key signs for any other name or address', async () => {
    const ca = new LocalCa(dir, clock);
    await ca.leaf(['lobby.example.com', 'localhost', '10.1.2.3', '::1'], 30 * DAY);
    const tls = join(dir, 'tls');
    expect(openssl(['verify', '-CAfile', 'ca.crt', 'leaf.crt'], tls)).toMatchObject({ ok: true });
    for (const san of ['DNS:bank.example', 'DNS:example.com', 'IP:10.1.2.4', 'IP:8.8.8.8', 'IP:::2']) {
      const verdict = openssl(['verify', '-CAfile', 'ca.crt', rogueLeaf(tls, san)], tls);
      expect(verdict.ok, san).toBe(false);
      expect(verdict.out, san).toMatch(/subtree violation/);
    }
  });

  it('permits no DNS name at all when only addresses are configured, and no IPv6 address when only IPv4 ones are', async () => {
    await new LocalCa(dir, clock).leaf(['10.1.2.3'], 30 * DAY);
    const tls = join(dir, 'tls');
    expect(openssl(['verify', '-CAfile', 'ca.crt', 'leaf.crt'], tls)).toMatchObject({ ok: true });
    for (const san of ['DNS:bank.example', 'IP:::1']) {
      const verdict = openssl(['verify', '-CAfile', 'ca.crt', rogueLeaf(tls, san)], tls);
      expect(verdict.ok, san).toBe(false);
      expect(verdict.out, san).toMatch(/subtree violation/);
    }
  });

  it('issues a new CA (and leaf) when the host names change, and keeps it while they do not', async () => {
    const ca = new LocalCa(dir, clock);
    const first = await ca.leaf(['localhost', 'desk.example.com'], 30 * DAY);
    expect([first.caIssued, first.caReplaced]).toEqual([true, false]);
    const again = await ca.leaf(['desk.example.com', 'localhost'], 30 * DAY);
    expect([again.caIssued, again.renewed, again.ca]).toEqual([false, false, first.ca]);
    const changed = await ca.leaf(['localhost', 'lobby.example.com'], 30 * DAY);
    expect([changed.caIssued, changed.caReplaced, changed.renewed]).toEqual([true, true, true]);
    expect(changed.ca).not.toBe(first.ca);
    expect(new X509Certificate(changed.cert).verify(new X509Certificate(changed.ca!).publicKey)).toBe(true);
    expect(openssl(['verify', '-CAfile', 'ca.crt', rogueLeaf(join(dir, 'tls'), 'DNS:desk.example.com')], join(dir, 'tls')).ok).toBe(false);
  });

  it('replaces a CA made before name constraints existed', async () => {
    const tls = join(dir, 'tls');
    await new LocalCa(dir, clock).leaf(['localhost'], 30 * DAY);
    // An unconstrained CA, as earlier releases made it.
    const made = openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt',
      '-subj', '/CN=Portier local CA/O=Portier', '-days', '3650', '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0'], tls);
    expect(made.ok, made.out).toBe(true);
    const next = await new LocalCa(dir, clock).leaf(['localhost'], 30 * DAY);
    expect([next.caIssued, next.caReplaced]).toEqual([true, true]);
    expect(openssl(['verify', '-CAfile', 'ca.crt', rogueLeaf(tls, 'DNS:bank.example')], tls).ok).toBe(false);
  });

  it('without configured names permits the machine\'s names exactly and its private addresses by block (a new lease needs no new CA)', () => {
    expect(defaultPermitted(['kiosk-host', 'localhost', '127.0.0.1', '192.168.1.20', '10.4.0.7', '203.0.113.9', '::1', 'fd12::5', 'fe80::1%eth0']))
      .toEqual(['kiosk-host', 'localhost', '127.0.0.0/8', '192.168.0.0/16', '10.0.0.0/8', '203.0.113.9', '::1/128', 'fc00::/7', 'fe80::/10']);
    const provider = new TlsProvider({ dataDir: dir, certFile: '', keyFile: '', hostNames: ['lobby.example.com'], renewBeforeDays: 30 }, clock);
    expect(provider.permittedNames).toEqual(['lobby.example.com']);
  });
});
