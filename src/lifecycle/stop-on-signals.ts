// SIGTERM and SIGINT stop the gateway: drain, close, 'gateway: stopped', exit 0. Installed before the start
// (main.ts): a signal during it stops the gateway once started (a failed start exits 1 in main.ts).
import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';

export interface StopOnSignalsOptions {
  gateway: { drain(ms: number): Promise<unknown>; close(): Promise<unknown> };
  /** The gateway's start under way (or done). */
  started: Promise<unknown>;
  drainMs: number;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Where SIGTERM and SIGINT come from (the process; a test passes an emitter). */
  signals?: Pick<EventEmitter, 'on'>;
  exit?: (code: number) => void;
}

/** Listens for SIGTERM and SIGINT; returns whether one came. */
export function stopOnSignals(opts: StopOnSignalsOptions): () => boolean {
  const { gateway, started, drainMs, logger, signals = process, exit = (code: number) => process.exit(code) } = opts;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'gateway: stopping');
    // A hard cap so a stuck start or close can never hang the service manager.
    setTimeout(() => { logger.error('gateway: shutdown exceeded its bound'); exit(1); }, drainMs + 10_000).unref();
    void started.then(async () => {
      await gateway.drain(drainMs);
      await gateway.close();
      logger.info('gateway: stopped');
      exit(0);
    }, () => undefined);
  };
  signals.on('SIGTERM', () => stop('SIGTERM'));
  signals.on('SIGINT', () => stop('SIGINT'));
  return () => stopping;
}
