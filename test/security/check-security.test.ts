// `portier check-security`: lists what is still plain (and why) and exits 1, or
// finds nothing on a configuration that keeps every link encrypted and exits 0.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { loadConfig } from '../../src/config/index.ts';
import { checkSecurity } from '../../src/security/index.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'src', 'main.ts');
const dir = mkdtempSync(join(tmpdir(), 'portier-checksec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Everything on loopback or TLS, the master key from the environment, no SIP account. */
const CLEAN = {
  PORTIER_DATA_DIR: join(dir, 'data'), PORTIER_DEVICE_HUB__HOST: '127.0.0.1',
  PORTIER_SECRETS__MASTER_KEY: randomBytes(32).toString('hex'),
};
const load = (env: Record<string, string> = {}) => loadConfig({ configDir: join(ROOT, 'config'), cwd: ROOT, env: { ...CLEAN, ...env } });

async function selfSigned(path: string, notAfter: Date): Promise<void> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await crypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01', name: 'CN=portier.example', notBefore: new Date(Date.now() - 86_400_000 * 30), notAfter, keys, signingAlgorithm: alg,
  });
  writeFileSync(path, cert.toString('pem'));
}

describe('check-security', () => {
  it('finds nothing on a configuration without plain links', () => {
    expect(checkSecurity(load())).toEqual([]);
  });

  it('names every plain listener, peer link, plaintext secret, the master key next to the data and an untrusted certificate', async () => {
    const cert = join(dir, 'expired.pem');
    await selfSigned(cert, new Date(Date.now() - 86_400_000));
    const findings = checkSecurity(load({
      PORTIER_HTTP__HOST: '0.0.0.0', PORTIER_DEVICE_HUB__HOST: '', PORTIER_HTTPS__HOST: '192.0.2.10', PORTIER_DEVICE_HUB__TLS: 'false',
      PORTIER_SIP__ACCOUNTS: '[{ id: pbx, registrar: "pbx.example:5060", username: "100", password: cleartext }]',
      PORTIER_ALERTS__WEBHOOK_URL: 'http://alerts.example/hook', PORTIER_AUTH__OIDC__ISSUER: 'http://idp.example', PORTIER_AUTH__OIDC__CLIENT_SECRET: 'oidc-plain',
      PORTIER_SECRETS__MASTER_KEY: '', PORTIER_HTTPS__CERT: cert, PORTIER_HTTPS__KEY: cert,
    }));
    expect(findings.map((f) => f.subject)).toEqual([
      'HTTP listener 0.0.0.0:8080',
      'MQTT TCP listener 192.0.2.10:1883',
      'MQTT TLS listener',
      'SIP account pbx → pbx.example:5060',
      'alert webhook (alerts.webhook_url)',
      'OpenID Connect (auth.oidc.issuer)',
      'secret auth.oidc.client_secret',
      'secret sip.accounts[0].password (pbx)',
      `master key ${join(dir, 'data', 'master.key')}`,
      `HTTPS and MQTT-TLS certificate ${cert}`,
      `HTTPS and MQTT-TLS certificate ${cert}`,
    ]);
    expect(findings.at(-2)!.en).toMatch(/^the certificate expired on /);
    expect(findings.at(-1)!.en).toMatch(/self-signed/);
    for (const f of findings) expect(f.de).not.toBe('');
  });

  it('a SIP account is named for what of it is plain: nothing for TLS with SRTP required, the fallback for srtp offer, signalling and media for UDP (review s22 #9)', () => {
    const sip = (account: string) => checkSecurity(load({ PORTIER_SIP__ACCOUNTS: `[{ id: pbx, registrar: "pbx.example:5061", username: "100", password: "enc:v1:0011aabb:AAAA", ${account} }]` }));
    expect(sip('transport: tls, srtp: require')).toEqual([]);
    const offer = sip('transport: tls, srtp: offer, secondary_registrars: ["pbx2.example:5061"]');
    expect(offer.map((f) => [f.subject, f.en])).toEqual([['SIP account pbx → pbx.example:5061, pbx2.example:5061', expect.stringMatching(/^media falls back to plain RTP/)]]);
    const udp = sip('transport: udp');
    expect(udp.map((f) => f.en)).toEqual(['signalling over UDP without TLS (digest credentials and call parties readable); media RTP without SRTP (srtp: off)']);
    for (const f of [...offer, ...udp]) expect(f.de).not.toBe('');
  });

  it('an http: link on loopback and an enc:v1 secret are no findings', () => {
    expect(checkSecurity(load({ PORTIER_ALERTS__WEBHOOK_URL: 'http://127.0.0.1:9000/hook', PORTIER_AUTH__OIDC__CLIENT_SECRET: 'enc:v1:0011aabb:AAAA' }))).toEqual([]);
  });

  // Two process starts: bounded by what a loaded machine needs, not by a speed.
  it('exits 1 with the list on the command line, 0 when clean', { timeout: 180_000 }, () => {
    const env = { ...process.env, ...CLEAN };
    const clean = spawnSync(process.execPath, [MAIN, 'check-security'], { env, encoding: 'utf8' });
    expect(clean.stdout).toBe('check-security: nothing plain found / nichts Unverschlüsseltes gefunden\n');
    expect(clean.status).toBe(0);
    const plain = spawnSync(process.execPath, [MAIN, 'check-security'], { env: { ...env, PORTIER_HTTP__HOST: '0.0.0.0' }, encoding: 'utf8' });
    expect(plain.status).toBe(1);
    expect(plain.stdout).toContain('check-security: 1 finding(s) / Befund(e):\n  HTTP listener 0.0.0.0:8080: plain HTTP');
  });
});
