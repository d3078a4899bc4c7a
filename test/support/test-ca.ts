// A throwaway certificate authority for TLS tests, made with the openssl CLI (Debian
// package openssl) in a temporary directory: a CA and server certificates it signs
// for the names and addresses a test asks for.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireExecutable } from './tools.ts';

const OPENSSL = '/usr/bin/openssl';

function openssl(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => execFile(OPENSSL, args, { cwd }, (error, _out, stderr) => (error ? reject(new Error(`openssl ${args[0]}: ${stderr}`)) : resolve())));
}

export interface ServerCert { cert: string; key: string }

export class TestCa {
  readonly dir: string;
  /** PEM file of the CA's certificate (what a client trusts). */
  readonly cert: string;
  readonly #key: string;
  #serial = 0;

  private constructor(dir: string) {
    this.dir = dir;
    this.cert = join(dir, 'ca.pem');
    this.#key = join(dir, 'ca.key');
  }

  static async create(name: string): Promise<TestCa> {
    requireExecutable(OPENSSL, 'Debian package openssl');
    const ca = new TestCa(mkdtempSync(join(tmpdir(), 'portier-ca-')));
    await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
      '-subj', `/CN=${name}`, '-keyout', ca.#key, '-out', ca.cert], ca.dir);
    return ca;
  }

  /** A server certificate signed by this CA for `dns` names and `ip` addresses (subjectAltName). */
  async server(name: string, alt: { dns?: string[]; ip?: string[] }): Promise<ServerCert> {
    const base = join(this.dir, `server-${++this.#serial}`);
    const san = [...(alt.dns ?? []).map((d) => `DNS:${d}`), ...(alt.ip ?? []).map((i) => `IP:${i}`)].join(',');
    writeFileSync(`${base}.ext`, `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`);
    await openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${base}.key`, '-out', `${base}.csr`], this.dir);
    await openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', this.cert, '-CAkey', this.#key, '-set_serial', String(1000 + this.#serial),
      '-days', '2', '-extfile', `${base}.ext`, '-out', `${base}.pem`], this.dir);
    return { cert: `${base}.pem`, key: `${base}.key` };
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
