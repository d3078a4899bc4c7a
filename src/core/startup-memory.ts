// Start-up leaves ~60 MiB of V8's heap committed that an idle gateway would keep forever:
// the young generation grows to its maximum (3 × 16 MiB semi-spaces) while ~120 modules
// load, and only a memory-reducing collection gives those pages back. One such collection
// ("last resort": full, compacting, releasing pooled pages), once, shortly after ready,
// brings the idle gateway from ~190 to ~130 MiB RSS (bench/gateway-idle.ts, issue 16
// part 3) without shrinking the young generation for the load that follows — a smaller
// --max-semi-space-size got the same idle figure but ten times the scavenges per card read.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFunction = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

export interface MemoryRelease { rssBeforeMiB: number; rssAfterMiB: number; pauseMs: number }

const mib = (bytes: number) => Math.round((bytes / 1_048_576) * 10) / 10;

/** V8's gc(): exists only in contexts created while --expose-gc is set; the gateway's own global stays without it. */
function v8Gc(): GcFunction {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as GcFunction;
}

/**
 * One full collection now (not memory-reducing: the young generation keeps its
 * size), for a start-up that just made its garbage and is about to take load:
 * the mark-compact that garbage would cost falls here, not under the first requests.
 */
export function collectStartupGarbage(): number {
  const start = performance.now();
  v8Gc()({ type: 'major', execution: 'sync' } as never);
  return performance.now() - start;
}

/** Runs one memory-reducing full collection; a pause of the whole process (tens to hundreds of ms). */
export function releaseStartupMemory(): MemoryRelease {
  const gc = v8Gc();
  const rssBeforeMiB = mib(process.memoryUsage.rss());
  const start = performance.now();
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  const pauseMs = Math.round(performance.now() - start);
  return { rssBeforeMiB, rssAfterMiB: mib(process.memoryUsage.rss()), pauseMs };
}

/** How long after ready the start-up heap is released at the earliest: devices and pages reconnecting after a restart come first. */
export const RELEASE_AFTER_READY_MS = 5_000;
/** The release waits for a spell this long in which the work counted (device messages) did not rise. */
export const RELEASE_QUIET_MS = 1_000;

export interface ReleaseSchedule {
  /** Work done so far (main: the device hub's routed messages); the release waits while it rises. Default: none. */
  activity?: () => number;
  /** The release itself (tests pass their own). */
  release?: () => MemoryRelease;
}

/**
 * Releases the start-up heap once (call it at ready): RELEASE_AFTER_READY_MS after
 * ready at the earliest, and only after RELEASE_QUIET_MS in which `activity` did not
 * rise — its pause (~110 ms on an idle machine) would otherwise stop card reads under
 * way, and the young generation it shrinks to 1 MiB grows again under them with a
 * scavenge at each step (bench/device-latency.ts, issue 16 part 2). A gateway busy
 * without a quiet second keeps its start-up heap until it has one. main and
 * bench/mqtt-hub-server.ts both schedule it here, so the bench's hub behaves as the
 * gateway would. Cancel when the process closes first.
 */
export function scheduleStartupRelease(onReleased: (release: MemoryRelease) => void, opts: ReleaseSchedule = {}): { cancel: () => void } {
  const { activity = () => 0, release = releaseStartupMemory } = opts;
  let seen = activity();
  const check = () => {
    const now = activity();
    if (now === seen) {
      onReleased(release());
      return;
    }
    seen = now;
    timer = setTimeout(check, RELEASE_QUIET_MS).unref();
  };
  let timer = setTimeout(check, RELEASE_AFTER_READY_MS).unref();
  return { cancel: () => clearTimeout(timer) };
}
