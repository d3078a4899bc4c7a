// SIGTERM and SIGINT stop the gateway: drain, close, 'gateway: stopped', exit 0. Installed before the start
// (main.ts): a signal during it stops the gateway once started (a failed start exits 1 in main.ts).
// A second signal exits 1 at once; a drain or close that fails exits 1 at once with 'gateway: stop failed'.
// A repeat within REPEAT_MS of the first is the same request, not a second one: a terminal's Ctrl-C reaches
// every process of its group (npm, scripts/start.mjs, the gateway) and the wrappers forward it again; systemd
// signals the whole cgroup, wrapper included. Those copies must not cut the drain short.
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
  /** A monotonic clock in ms (tests give their own). */
  now?: () => number;
}

/** Signals this soon after the first are copies of it (see above); later ones mean "now". */
export const REPEAT_MS = 2000;

/** Listens for SIGTERM and SIGINT; returns whether one came. */
export function stopOnSignals(opts: StopOnSignalsOptions): () => boolean {
  const { gateway, started, drainMs, logger, signals = process, exit = (code: number) => process.exit(code), now = () => performance.now() } = opts;
  let stopping = false;
  let firstAt = 0;
  const stop = (signal: string) => {
    if (stopping) {
      if (now() - firstAt < REPEAT_MS) {
        logger.info({ signal }, 'gateway: the same stop signal again (forwarded), still stopping / dasselbe Stoppsignal noch einmal (weitergereicht), Stopp läuft');
        return;
      }
      // A second signal means now (Ctrl-C again, a second kill): during a start or stop that hangs, the first waits up to
      // drain + 10 s. Exit 1 like the cap: the gateway did not close.
      logger.warn({ signal }, 'gateway: second signal, exiting now without drain or close / zweites Signal, sofortiges Ende ohne Drain und Schließen');
      exit(1);
      return;
    }
    stopping = true;
    firstAt = now();
    logger.info({ signal }, 'gateway: stopping');
    // A hard cap so a stuck start or close can never hang the service manager.
    setTimeout(() => { logger.error('gateway: shutdown exceeded its bound'); exit(1); }, drainMs + 10_000).unref();
    void started.then(async () => {
      await gateway.drain(drainMs);
      await gateway.close();
      logger.info('gateway: stopped');
      exit(0);
    }, () => undefined).catch((error: unknown) => {
      // Not an 'unhandled rejection' line and an exit at the cap: the failure itself, and exit 1 now.
      logger.error({ err: error }, 'gateway: stop failed');
      exit(1);
    });
  };
  signals.on('SIGTERM', () => stop('SIGTERM'));
  signals.on('SIGINT', () => stop('SIGINT'));
  return () => stopping;
}
