// A local certificate authority for deployments without their own certificate:
// created under data_dir, name-constrained to the names and addresses Portier
// serves (a new CA when they change), it issues a leaf for the configured host
// names and renews it before expiry. Terminals and desks install /ca.crt.
// Given the deployment's secret box, the private keys (ca.key, leaf.key) are
// sealed under the master key on disk; plain ones from before are sealed at the next start.
// @peculiar/x509 resolves its services through tsyringe, which needs this polyfill first.
import 'reflect-metadata';
import { webcrypto, X509Certificate as NodeX509, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import type { Clock } from '../core/index.ts';
import { isSealed, SecretsError, type SecretBox } from '../secrets/index.ts';
import { NAME_CONSTRAINTS_OID, nameConstraintsDer } from './name-constraints.ts';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 3600 * 1000;
const CA_DAYS = 3650;
const LEAF_DAYS = 90;

export interface TlsMaterial {
  cert: string;
  key: string;
  /** The CA certificate (PEM) clients install, when the local CA issued `cert`. */
  ca?: string;
  /** The local CA was just replaced (other host names, or made before name constraints): clients must install the new one. */
  caReplaced?: boolean;
  notAfter: number;
}

async function exportKey(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key as webcrypto.CryptoKey);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importKey(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decode(pem)[0]!;
  return (await webcrypto.subtle.importKey('pkcs8', der, ALG, true, ['sign'])) as unknown as CryptoKey;
}

const serial = (): string => `01${randomBytes(15).toString('hex')}`;

/** Written whole or not at all (a crash mid-write must not leave half a key). */
function writeSecret(path: string, content: string): void {
  const tmp = `${path}.tmp`;
  // A leftover from an interrupted write keeps its mode: made anew, the file is 0600.
  rmSync(tmp, { force: true });
  writeFileSync(tmp, content, { mode: 0o600, flag: 'wx' });
  renameSync(tmp, path);
}

export class LocalCa {
  readonly #dir: string;
  readonly #clock: Clock;
  readonly #box?: SecretBox;

  /** `box`: seals the private keys on disk (the gateway always gives one; without it they are plain PEM, 0600). */
  constructor(dataDir: string, clock: Clock, box?: SecretBox) {
    this.#dir = join(dataDir, 'tls');
    this.#clock = clock;
    this.#box = box;
  }

  /** Key files found plain at this start and sealed now: their plain bytes may survive in backups and freed blocks. */
  readonly sealedFromPlain: string[] = [];

  #writeKey(path: string, pem: string): void {
    writeSecret(path, this.#box ? `${this.#box.seal(pem)}\n` : pem);
  }

  /** A key's PEM; a plain one is sealed now, one sealed under a previous master key sealed anew. */
  #readKey(path: string): string {
    const text = readFileSync(path, 'utf8');
    if (!isSealed(text)) {
      if (this.#box) { this.#writeKey(path, text); this.sealedFromPlain.push(path); }
      return text;
    }
    if (!this.#box) throw new SecretsError(`file ${path}`, `tls: ${path} is encrypted under a master key, and none was given`);
    const opened = this.#box.open(text, `key file ${path}`);
    if (opened.stale) this.#writeKey(path, opened.value);
    return opened.value;
  }

  get caCertPath(): string {
    return join(this.#dir, 'ca.crt');
  }

  /**
   * The CA, constrained to `permitted` (names, addresses, CIDR blocks). A CA
   * whose constraints differ (other names, or none: made before constraints
   * existed) is replaced by a new one: clients must then trust the new /ca.crt.
   */
  async #ca(permitted: readonly string[]): Promise<{ cert: x509.X509Certificate; key: CryptoKey; pem: string; issued: boolean; replaced: boolean }> {
    const certPath = this.caCertPath;
    const keyPath = join(this.#dir, 'ca.key');
    const constraints = nameConstraintsDer(permitted);
    if (existsSync(certPath) && existsSync(keyPath)) {
      const pem = readFileSync(certPath, 'utf8');
      const cert = new x509.X509Certificate(pem);
      const current = cert.getExtension(NAME_CONSTRAINTS_OID);
      if (current && Buffer.from(current.value).equals(constraints)) {
        return { cert, key: await importKey(this.#readKey(keyPath)), pem, issued: false, replaced: false };
      }
    }
    const replaced = existsSync(certPath);
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as unknown as CryptoKeyPair;
    const now = this.#clock.now();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: 'CN=Portier local CA, O=Portier',
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + CA_DAYS * DAY),
      signingAlgorithm: ALG,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        new x509.Extension(NAME_CONSTRAINTS_OID, true, new Uint8Array(constraints)),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const pem = cert.toString('pem');
    this.#writeKey(keyPath, await exportKey(keys.privateKey));
    writeFileSync(certPath, pem);
    return { cert, key: keys.privateKey, pem, issued: true, replaced };
  }

  /** Whether the stored leaf is missing, expires within `renewBeforeMs` or misses a host name. */
  needsRenewal(hostNames: string[], renewBeforeMs: number): boolean {
    const certPath = join(this.#dir, 'leaf.crt');
    if (!existsSync(certPath) || !existsSync(join(this.#dir, 'leaf.key'))) return true;
    const leaf = new NodeX509(readFileSync(certPath));
    if (Date.parse(leaf.validTo) - this.#clock.now() < renewBeforeMs) return true;
    const san = leaf.subjectAltName ?? '';
    return hostNames.some((h) => !san.includes(isIP(h) ? `IP Address:${h}` : `DNS:${h}`));
  }

  /**
   * Returns the current leaf, issuing a new one first when needed. The CA is
   * constrained to `permitted` (default: exactly `hostNames`); `caIssued` says
   * it was just made (clients must install the new /ca.crt).
   */
  async leaf(hostNames: string[], renewBeforeMs: number, permitted: readonly string[] = hostNames): Promise<TlsMaterial & { renewed: boolean; caIssued: boolean }> {
    const ca = await this.#ca(permitted);
    const certPath = join(this.#dir, 'leaf.crt');
    const keyPath = join(this.#dir, 'leaf.key');
    let renewed = false;
    if (ca.issued || this.needsRenewal(hostNames, renewBeforeMs)) {
      const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as unknown as CryptoKeyPair;
      const now = this.#clock.now();
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: `CN=${hostNames.find((h) => !isIP(h)) ?? 'portier'}`,
        issuer: ca.cert.subject,
        notBefore: new Date(now - DAY),
        notAfter: new Date(now + LEAF_DAYS * DAY),
        signingAlgorithm: ALG,
        publicKey: keys.publicKey,
        signingKey: ca.key,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
          new x509.SubjectAlternativeNameExtension(
            hostNames.map((h) => ({ type: isIP(h) ? ('ip' as const) : ('dns' as const), value: h }))),
          await x509.AuthorityKeyIdentifierExtension.create(ca.cert.publicKey),
        ],
      });
      this.#writeKey(keyPath, await exportKey(keys.privateKey));
      writeFileSync(certPath, cert.toString('pem'));
      renewed = true;
    }
    const cert = readFileSync(certPath, 'utf8');
    return {
      cert, key: this.#readKey(keyPath), ca: ca.pem,
      notAfter: Date.parse(new NodeX509(cert).validTo), renewed, caIssued: ca.issued, caReplaced: ca.replaced,
    };
  }
}
