// Prometheus metrics of the mediasoup workers, appended to /metrics: each worker's CPU
// time (user + system, asked of the worker when scraped, each answer bounded in time)
// and its routers now. It listens to nothing and owns no worker.
import { promHeader, promLabel } from '../core/index.ts';
import type { WorkerStatus } from './worker-pool.ts';

/** How long a scrape waits for a worker's resource usage before leaving it out. */
export const WORKER_USAGE_TIMEOUT_MS = 1_000;

export interface WorkerMetricsDeps {
  pool: { cpuSeconds(timeoutMs: number): Promise<Array<{ index: number; seconds: number }>>; status(): WorkerStatus[] };
  timeoutMs?: number;
}

export class WorkerMetrics {
  readonly #d: WorkerMetricsDeps;
  #closed = false;

  constructor(deps: WorkerMetricsDeps) {
    this.#d = deps;
  }

  async render(): Promise<string> {
    if (this.#closed) return '';
    const cpu = await this.#d.pool.cpuSeconds(this.#d.timeoutMs ?? WORKER_USAGE_TIMEOUT_MS);
    const worker = (index: number) => `worker="${promLabel(String(index))}"`;
    return [
      ...promHeader('portier_sfu_worker_cpu_seconds_total', 'counter', 'CPU time (user + system) of the mediasoup worker process; starts again at 0 when a worker is replaced.'),
      ...cpu.map((u) => `portier_sfu_worker_cpu_seconds_total{${worker(u.index)}} ${u.seconds}`),
      ...promHeader('portier_sfu_worker_routers', 'gauge', 'Routers (one per call or probe) on the mediasoup worker now.'),
      ...this.#d.pool.status().map((w) => `portier_sfu_worker_routers{${worker(w.index)}} ${w.routers}`),
      '',
    ].join('\n');
  }

  /** Idempotent; it holds no listener, so nothing is left to detach. */
  close(): void {
    this.#closed = true;
  }
}
