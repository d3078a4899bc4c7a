// Supplies the HTTPS (and MQTT-over-TLS) certificate: the configured one, or a
// leaf from the local CA that is checked twice a day and renewed before expiry.
import { readFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { TypedEmitter, type Clock } from '../core/index.ts';
import type { SecretBox } from '../secrets/index.ts';
import { LocalCa, type TlsMaterial } from './local-ca.ts';
import { defaultPermitted } from './name-constraints.ts';

export interface TlsOptions {
  dataDir: string;
  certFile: string;
  keyFile: string;
  hostNames: string[];
  renewBeforeDays: number;
  /** Seals the local CA's private keys on disk under the master key. */
  box?: SecretBox;
}

export function defaultHostNames(): string[] {
  const names = new Set<string>([hostname(), 'localhost', '127.0.0.1', '::1']);
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (!a.address.startsWith('fe80')) names.add(a.address);
  }
  return [...names];
}

const CHECK_MS = 12 * 3600 * 1000;

export class TlsProvider extends TypedEmitter<{ renewed: [TlsMaterial] }> {
  readonly #opts: TlsOptions;
  readonly #clock: Clock;
  readonly #ca: LocalCa;
  #material?: TlsMaterial;
  #timer?: NodeJS.Timeout;
  #closed = false;

  constructor(opts: TlsOptions, clock: Clock) {
    super();
    this.#opts = opts;
    this.#clock = clock;
    this.#ca = new LocalCa(opts.dataDir, clock, opts.box);
  }

  /** The local CA's key files that were plain on disk until this start (sealed now; see LocalCa.sealedFromPlain). */
  get keysSealedFromPlain(): readonly string[] {
    return this.#ca.sealedFromPlain;
  }

  get usesLocalCa(): boolean {
    return this.#opts.certFile === '';
  }

  get hostNames(): string[] {
    return this.#opts.hostNames.length > 0 ? this.#opts.hostNames : defaultHostNames();
  }

  /**
   * What the local CA may sign for: the configured names exactly; without
   * configured names, the machine's names and its private addresses' blocks
   * (a new DHCP lease then needs a new leaf, not a new CA).
   */
  get permittedNames(): string[] {
    return this.#opts.hostNames.length > 0 ? this.#opts.hostNames : defaultPermitted(this.hostNames);
  }

  get material(): TlsMaterial {
    if (!this.#material) throw new Error('TLS provider not started');
    return this.#material;
  }

  async start(): Promise<void> {
    if (!this.usesLocalCa) {
      const cert = readFileSync(this.#opts.certFile, 'utf8');
      const key = readFileSync(this.#opts.keyFile, 'utf8');
      this.#material = { cert, key, notAfter: Number.POSITIVE_INFINITY };
      return;
    }
    this.#material = await this.#ca.leaf(this.hostNames, this.#renewBeforeMs(), this.permittedNames);
    this.#schedule();
  }

  #renewBeforeMs(): number {
    return this.#opts.renewBeforeDays * 24 * 3600 * 1000;
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = this.#clock.setTimeout(() => {
      // A failed renewal (disk full, unwritable data_dir) is reported and retried at the next check.
      this.checkRenewal().catch((error: unknown) => this.onListenerError('renewal', error)).finally(() => this.#schedule());
    }, CHECK_MS);
    this.#timer.unref();
  }

  /** Renews the local-CA leaf when due; emits `renewed` with the new material. */
  async checkRenewal(): Promise<boolean> {
    if (!this.usesLocalCa || this.#closed) return false;
    const next = await this.#ca.leaf(this.hostNames, this.#renewBeforeMs(), this.permittedNames);
    if (!next.renewed) return false;
    this.#material = next;
    this.safeEmit('renewed', next);
    return true;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.removeAllListeners();
  }
}
