// One mediasoup worker process and its WebRtcServer, at a fixed index and port.
// When the process dies the slot starts a replacement on the same ports.
import * as mediasoup from 'mediasoup';
import type { types as ms } from 'mediasoup';
import type { Logger } from 'pino';

export interface ListenEntry {
  ip: string;
  announcedAddress?: string;
}

export interface SlotOptions {
  index: number;
  /** Port for both UDP and TCP; 0 = ephemeral (learned on first start, reused after). */
  port: number;
  listen: ListenEntry[];
  minPort: number;
  maxPort: number;
  workerBin?: string;
  logger: Logger;
}

export interface SlotPorts { ip: string; udp: number; tcp: number }

/**
 * mediasoup closes every worker when the Node process receives SIGINT or
 * SIGTERM, which would cut running calls before the gateway drains them. The
 * gateway owns shutdown (drain, then close in order), so the library's own
 * handlers are removed for each worker.
 */
function detachSignalHandlers(worker: ms.Worker): void {
  const onSignal = (worker as unknown as { onSignal?: (...args: unknown[]) => void }).onSignal;
  if (!onSignal) return;
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
}

export class WorkerSlot {
  readonly index: number;
  readonly #opts: SlotOptions;
  #worker?: ms.Worker;
  #server?: ms.WebRtcServer;
  #ports: SlotPorts[] = [];
  #routers = 0;
  #closed = false;
  restarts = 0;

  constructor(opts: SlotOptions) {
    this.index = opts.index;
    this.#opts = opts;
  }

  get worker(): ms.Worker | undefined { return this.#worker; }
  get webRtcServer(): ms.WebRtcServer | undefined { return this.#server; }
  get ports(): SlotPorts[] { return this.#ports; }
  get routerCount(): number { return this.#routers; }
  get ready(): boolean { return !this.#closed && this.#worker !== undefined && !this.#worker.closed && !this.#worker.died; }

  /** Starts the worker and its WebRtcServer; `onDied` is told when the process dies. */
  async start(onDied: (error: Error) => void): Promise<void> {
    const worker = await mediasoup.createWorker({
      logLevel: 'warn',
      rtcMinPort: this.#opts.minPort,
      rtcMaxPort: this.#opts.maxPort,
      ...(this.#opts.workerBin ? { workerBin: this.#opts.workerBin } : {}),
      appData: { index: this.index },
    });
    detachSignalHandlers(worker);
    worker.observer.on('newrouter', (router) => {
      this.#routers += 1;
      router.observer.once('close', () => { this.#routers -= 1; });
    });
    try {
      const server = await worker.createWebRtcServer({ listenInfos: this.#listenInfos() });
      if (this.#ports.length === 0) await this.#learnPorts(server);
      this.#worker = worker;
      this.#server = server;
      this.#routers = 0;
    } catch (error) {
      worker.close();
      throw error;
    }
    worker.on('died', (error) => {
      if (!this.#closed) onDied(error);
    });
    // Closed while this (replacement) worker was starting: do not leave it running.
    if (this.#closed) {
      worker.close();
      this.#worker = undefined;
      throw new Error('worker slot closed while starting');
    }
  }

  #listenInfos(): ms.WebRtcServerListenInfo[] {
    return this.#opts.listen.flatMap((entry, i) => (['udp', 'tcp'] as const).map((protocol) => {
      const known = this.#ports[i]?.[protocol];
      const port = known ?? (this.#opts.port === 0 ? undefined : this.#opts.port);
      return {
        protocol, ip: entry.ip,
        ...(entry.announcedAddress ? { announcedAddress: entry.announcedAddress } : {}),
        ...(port === undefined ? { portRange: { min: this.#opts.minPort, max: this.#opts.maxPort } } : { port }),
      };
    }));
  }

  async #learnPorts(server: ms.WebRtcServer): Promise<void> {
    const dump = await server.dump();
    this.#ports = this.#opts.listen.map((entry, i) => ({
      ip: entry.ip,
      udp: dump.udpSockets[i]?.port ?? 0,
      tcp: dump.tcpServers[i]?.port ?? 0,
    }));
  }

  get pid(): number | undefined { return this.#worker?.pid; }

  /** Closes the worker (and with it every router) and waits, bounded, for its process to exit. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const worker = this.#worker;
    if (!worker || worker.died) return;
    const exited = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 5000);
      worker.once('subprocessclose', () => { clearTimeout(timer); resolve(); });
    });
    worker.close();
    await exited;
  }

  /** Forgets the dead worker so start() can run again on the same ports. */
  reset(): void {
    this.#worker = undefined;
    this.#server = undefined;
    this.#routers = 0;
  }

  get closed(): boolean { return this.#closed; }
}
