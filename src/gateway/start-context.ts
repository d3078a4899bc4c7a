// What each part of the gateway's start is handed: the opened config, logger and clock, a step that
// names what failed, and the gateway's closers and status sources, which the part extends in start order.
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import type { Clock } from '../core/index.ts';
import type { StatusSource } from '../lifecycle/index.ts';
import type { CloseCascade } from './close-cascade.ts';

/** A component that failed to start; main prints it and exits non-zero. */
export class StartError extends Error {
  readonly component: string;
  /** `detail`: what the operator should read instead of the cause's own message (e.g. the config key of a port in use). */
  constructor(component: string, cause: unknown, detail?: string) {
    super(`${component} failed to start: ${detail ?? (cause instanceof Error ? cause.message : String(cause))}`, { cause });
    this.name = 'StartError';
    this.component = component;
  }
}

export interface StartContext {
  /** The config with its enc:v1 values opened (src/secrets). */
  readonly config: Config;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Runs one start step; its failure becomes a StartError naming `name`. */
  step<T>(name: string, fn: () => Promise<T>): Promise<T>;
  readonly closers: CloseCascade;
  readonly sources: StatusSource[];
  /** Where the kernel's port ranges are read (tests; default /proc/sys/net/ipv4/…). */
  readonly kernelPortFiles?: { range: string; reserved: string };
}
