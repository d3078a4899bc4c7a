// `portier check-security`: every listener and peer link of the configuration
// that is still plain, or uses a certificate clients cannot trust, and why —
// plus secrets in plaintext and a master key lying next to the data it protects.
import { existsSync, readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { join, relative, isAbsolute, resolve } from 'node:path';
import type { Config } from '../config/index.ts';
import { plaintextSecrets, DEFAULT_KEY_FILE } from '../secrets/index.ts';

export interface Finding {
  /** What is plain: a listener, a peer link, a secret, a key. */
  subject: string;
  en: string;
  de: string;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost|\[::1\])$/i;
const isLoopback = (host: string): boolean => LOOPBACK.test(host);

/** A URL that leaves the machine without TLS (http: to anything but loopback). */
function plainUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' && !isLoopback(url.hostname);
  } catch {
    return false;
  }
}

const inside = (dir: string, path: string): boolean => {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/** The PEM certificates in a text, leaf first. */
const pemCerts = (text: string): X509Certificate[] =>
  (text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((pem) => new X509Certificate(pem));

function certificateFindings(subject: string, text: string, now: Date): Finding[] {
  let certs: X509Certificate[];
  try {
    certs = pemCerts(text);
  } catch (error) {
    return [{ subject, en: `the certificate cannot be read (${(error as Error).message})`, de: 'das Zertifikat ist nicht lesbar' }];
  }
  const leaf = certs[0];
  if (!leaf) return [{ subject, en: 'no PEM certificate found', de: 'kein PEM-Zertifikat gefunden' }];
  const out: Finding[] = [];
  if (new Date(leaf.validTo) < now) out.push({ subject, en: `the certificate expired on ${leaf.validTo}`, de: `das Zertifikat ist am ${leaf.validTo} abgelaufen` });
  if (new Date(leaf.validFrom) > now) out.push({ subject, en: `the certificate is not valid before ${leaf.validFrom}`, de: `das Zertifikat gilt erst ab ${leaf.validFrom}` });
  if (leaf.subject === leaf.issuer && leaf.verify(leaf.publicKey)) {
    out.push({ subject, en: 'the certificate is self-signed: no client trusts it unless it is installed on each one', de: 'das Zertifikat ist selbstsigniert: kein Client vertraut ihm, ohne es einzeln zu installieren' });
  }
  return out;
}

/**
 * What of a SIP account travels readable (review s22 #9): signalling without TLS, media without SRTP, or media
 * that may fall back to plain RTP (`srtp: offer`); nothing for `transport: tls` (or `wss`) with `srtp: require`.
 */
function sipPlainParts(transport: string, srtp: 'off' | 'offer' | 'require'): Array<{ en: string; de: string }> {
  const parts: Array<{ en: string; de: string }> = [];
  if (transport !== 'tls' && transport !== 'wss') {
    parts.push({ en: `signalling over ${transport.toUpperCase()} without TLS (digest credentials and call parties readable)`,
      de: `Signalisierung über ${transport.toUpperCase()} ohne TLS (Anmeldedaten und Gesprächspartner lesbar)` });
  }
  if (srtp === 'off') parts.push({ en: 'media RTP without SRTP (srtp: off)', de: 'Medien RTP ohne SRTP (srtp: off)' });
  if (srtp === 'offer') parts.push({ en: 'media falls back to plain RTP when the PBX takes no SRTP key (srtp: offer; require makes it refuse)', de: 'Medien fallen auf unverschlüsseltes RTP zurück, wenn die TK-Anlage keinen SRTP-Schlüssel nimmt (srtp: offer; require lehnt dann ab)' });
  return parts;
}

/** Every finding for this configuration (an empty list: nothing plain found). */
export function checkSecurity(config: Config, now = new Date()): Finding[] {
  const out: Finding[] = [];
  const add = (subject: string, en: string, de: string) => out.push({ subject, en, de });

  if (!isLoopback(config.http.host)) {
    add(`HTTP listener ${config.http.host}:${config.http.port}`, 'plain HTTP (and MQTT over WebSocket at /mqtt) reachable from the network; keep http.host on 127.0.0.1',
      'unverschlüsseltes HTTP (und MQTT über WebSocket unter /mqtt) aus dem Netz erreichbar; http.host auf 127.0.0.1 lassen');
  }
  const mqttHost = config.device_hub.host || config.https.host;
  if (!isLoopback(mqttHost)) {
    add(`MQTT TCP listener ${mqttHost}:${config.mqtt.tcp.port}`, 'plain MQTT reachable from the network: device secrets and card numbers travel readable; use MQTT over TLS and bind device_hub.host to 127.0.0.1 if no device needs TCP',
      'unverschlüsseltes MQTT aus dem Netz erreichbar: Gerätegeheimnisse und Kartennummern lesbar; MQTT über TLS nutzen');
  }
  if (!config.device_hub.tls) add('MQTT TLS listener', 'device_hub.tls is false: devices have no encrypted way to connect', 'device_hub.tls ist false: Geräte können sich nicht verschlüsselt verbinden');
  for (const a of config.sip.accounts) {
    if (a.enabled === false) continue;
    const plain = sipPlainParts(a.transport ?? 'udp', a.srtp ?? 'off');
    if (plain.length === 0) continue;
    const servers = [a.outbound_proxy || a.registrar, ...(a.secondary_registrars ?? [])].join(', ');
    add(`SIP account ${a.id} → ${servers}`, plain.map((p) => p.en).join('; '), plain.map((p) => p.de).join('; '));
  }
  if (plainUrl(config.alerts.webhook_url)) add('alert webhook (alerts.webhook_url)', 'posted over plain http:', 'wird über unverschlüsseltes http: gesendet');
  const o = config.auth.oidc;
  for (const [key, value] of [['auth.oidc.issuer', o.issuer], ['auth.oidc.redirect_url', o.redirect_url]] as const) {
    if (plainUrl(value)) add(`OpenID Connect (${key})`, 'sign-in over plain http:', 'Anmeldung über unverschlüsseltes http:');
  }
  const s = config.auth.saml;
  for (const [key, value] of [['auth.saml.entry_point', s.entry_point], ['auth.saml.acs_url', s.acs_url]] as const) {
    if (plainUrl(value)) add(`SAML (${key})`, 'sign-in over plain http:', 'Anmeldung über unverschlüsseltes http:');
  }
  if (s.entry_point !== '' && s.idp_cert.includes('BEGIN CERTIFICATE')) out.push(...certificateFindings('SAML IdP certificate (auth.saml.idp_cert)', s.idp_cert, now));
  for (const key of plaintextSecrets(config)) {
    add(`secret ${key}`, 'written in the configuration in plaintext; use an enc:v1 value from `portier encrypt-secret`', 'steht im Klartext in der Konfiguration; mit `portier encrypt-secret` verschlüsseln');
  }
  if (config.secrets.master_key === '') {
    const file = config.secrets.master_key_file === '' ? join(config.data_dir, DEFAULT_KEY_FILE) : resolve(config.data_dir, config.secrets.master_key_file);
    if (inside(config.data_dir, file)) {
      add(`master key ${file}`, 'lies next to the data it protects: a copy of data_dir opens every secret; move it off the box or into PORTIER_SECRETS__MASTER_KEY',
        'liegt neben den Daten, die er schützt: eine Kopie von data_dir öffnet jedes Geheimnis; vom Rechner weg oder in PORTIER_SECRETS__MASTER_KEY verschieben');
    }
  }
  if (config.https.cert !== '') {
    const subject = `HTTPS and MQTT-TLS certificate ${config.https.cert}`;
    if (!existsSync(config.https.cert)) add(subject, 'the file does not exist', 'die Datei fehlt');
    else out.push(...certificateFindings(subject, readFileSync(config.https.cert, 'utf8'), now));
  }
  return out;
}

/** The report `portier check-security` prints. */
export function formatFindings(findings: Finding[]): string {
  if (findings.length === 0) return 'check-security: nothing plain found / nichts Unverschlüsseltes gefunden\n';
  return [
    `check-security: ${findings.length} finding(s) / Befund(e):`,
    ...findings.map((f) => `  ${f.subject}: ${f.en}\n    (${f.de})`),
    '',
  ].join('\n');
}
