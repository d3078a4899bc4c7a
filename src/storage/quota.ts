// The installation's storage quota (PRODUCT.md: 15 GB per customer): measures
// what data_dir's files take (the store and its WAL, the MQTT session file,
// uploads), warns at warn_percent and refuses writes that grow the data at 100 %.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PortierError, TypedEmitter, type Clock } from '../core/index.ts';

/** A write refused because the installation's storage quota is used up (HTTP 507). */
export class InsufficientStorageError extends PortierError {
  constructor(usedBytes: number, quotaBytes: number) {
    super('insufficient-storage', `storage quota used up (${usedBytes} of ${quotaBytes} bytes); delete data or raise storage.quota_gb`, undefined,
      { reason: 'storage.quota', params: { usedMb: Math.round(usedBytes / 1e6), quotaMb: Math.round(quotaBytes / 1e6) } });
    this.name = 'InsufficientStorageError';
  }
}

export type QuotaLevel = 'ok' | 'warning' | 'full';

export interface StorageUsage {
  usedBytes: number;
  quotaBytes: number;
  /** Used share of the quota, in per cent (one decimal). */
  percent: number;
  level: QuotaLevel;
  /** Bytes per measured file or directory (by path). */
  files: Record<string, number>;
}

export interface QuotaSettings {
  quotaBytes: number;
  warnPercent: number;
  checkEveryMs: number;
  /** The files (a database's -wal and -shm are added) and directories (summed) that count. */
  paths: string[];
}

export type StorageQuotaEvents = {
  /** The level changed (ok → warning → full, or back). */
  level: [StorageUsage];
};

function sizeOf(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
}

export class StorageQuota extends TypedEmitter<StorageQuotaEvents> {
  readonly #s: QuotaSettings;
  readonly #clock: Clock;
  #usage: StorageUsage;
  #timer?: NodeJS.Timeout;
  #started = false;
  #closed = false;

  constructor(settings: QuotaSettings, clock: Clock) {
    super();
    this.#s = settings;
    this.#clock = clock;
    this.#usage = this.#measure();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Measures now and then every checkEveryMs (the timer does not hold the process); a second call changes nothing. */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    this.measure();
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#schedule();
      this.measure();
    }, this.#s.checkEveryMs);
    this.#timer.unref?.();
  }

  #measure(): StorageUsage {
    const files: Record<string, number> = {};
    for (const p of this.#s.paths) {
      if (p === '' || p === ':memory:') continue;
      for (const f of [p, `${p}-wal`, `${p}-shm`]) if (existsSync(f)) files[f] = sizeOf(f);
    }
    const usedBytes = Object.values(files).reduce((a, b) => a + b, 0);
    const percent = Math.round((usedBytes / this.#s.quotaBytes) * 1000) / 10;
    const level: QuotaLevel = usedBytes >= this.#s.quotaBytes ? 'full' : percent >= this.#s.warnPercent ? 'warning' : 'ok';
    return { usedBytes, quotaBytes: this.#s.quotaBytes, percent, level, files };
  }

  /** Measures the files now; emits `level` when the level changed. */
  measure(): StorageUsage {
    const before = this.#usage.level;
    this.#usage = this.#measure();
    if (this.#usage.level !== before) this.safeEmit('level', this.#usage);
    return this.#usage;
  }

  /** The last measurement. */
  usage(): StorageUsage {
    return this.#usage;
  }

  /** Throws InsufficientStorageError when the quota is used up (measured afresh: space may have been freed). */
  assertRoom(): void {
    const usage = this.#usage.level === 'full' ? this.measure() : this.#usage;
    if (usage.level === 'full') throw new InsufficientStorageError(usage.usedBytes, usage.quotaBytes);
  }

  /**
   * For /ready: the figures and the level. The state stays ready even when full: calls, doors
   * and sign-ins go on, and the SLA samples must not count a full quota as downtime.
   */
  status(): { state: 'ready' | 'closed'; level: QuotaLevel; usedBytes: number; quotaBytes: number; percent: number } {
    const u = this.#usage;
    return { state: this.#closed ? 'closed' : 'ready', level: u.level, usedBytes: u.usedBytes, quotaBytes: u.quotaBytes, percent: u.percent };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
