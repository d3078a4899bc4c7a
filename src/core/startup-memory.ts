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
/** The window the release looks at: the work counted (device messages) in the last one. */
export const RELEASE_WINDOW_MS = 1_000;
/** At most this many device messages in the last window count as quiet enough: a building's steady telemetry is 10–20 a second. */
export const RELEASE_QUIET_MESSAGES = 5;
/** The release runs at the latest this long after ready, whatever the traffic: else a busy gateway keeps its start-up heap for ever. */
export const RELEASE_LATEST_MS = 10 * 60_000;

export interface StartupRelease extends MemoryRelease {
  /** When it ran, after ready. */
  afterReadyMs: number;
  /** The work counted in the window before it. */
  lastWindowMessages: number;
  /** 'quiet': a window with at most RELEASE_QUIET_MESSAGES; 'latest': RELEASE_LATEST_MS reached without one. */
  why: 'quiet' | 'latest';
  /** The same for a log reader. */
  waited: string;
}

export interface ReleaseSchedule {
  /** Work done so far (main: the device hub's routed messages); the release waits while it rises fast. Default: none. */
  activity?: () => number;
  /** The release itself (tests pass their own). */
  release?: () => MemoryRelease;
}

function waited(why: StartupRelease['why'], afterReadyMs: number, messages: number): string {
  const s = Math.round(afterReadyMs / 1000);
  return why === 'quiet'
    ? `${s} s after ready, in a second with ${messages} device messages (at most ${RELEASE_QUIET_MESSAGES})`
    : `${s} s after ready, the latest: no second had at most ${RELEASE_QUIET_MESSAGES} device messages (the last: ${messages})`;
}

/**
 * Releases the start-up heap once (call it at ready): RELEASE_AFTER_READY_MS after
 * ready at the earliest, in a window of RELEASE_WINDOW_MS with at most
 * RELEASE_QUIET_MESSAGES of `activity` — its pause (~110 ms on an idle machine)
 * would otherwise stop card reads under way, and the young generation it shrinks to
 * 1 MiB grows again under them with a scavenge at each step (bench/device-latency.ts,
 * issue 16 part 2) — or at RELEASE_LATEST_MS whatever the traffic (review s29 #4: a
 * steady trickle of telemetry never has a second without a message). main and
 * bench/mqtt-hub-server.ts both schedule it here, so the bench's hub behaves as the
 * gateway would. Cancel when the process closes first.
 */
export function scheduleStartupRelease(onReleased: (release: StartupRelease) => void, opts: ReleaseSchedule = {}): { cancel: () => void } {
  const { activity = () => 0, release = releaseStartupMemory } = opts;
  let afterReadyMs = 0;
  let seen = activity();
  const check = () => {
    afterReadyMs += RELEASE_WINDOW_MS;
    const now = activity();
    const messages = now - seen;
    seen = now;
    const why = messages <= RELEASE_QUIET_MESSAGES ? 'quiet' : afterReadyMs >= RELEASE_LATEST_MS ? 'latest' : undefined;
    if (why && afterReadyMs >= RELEASE_AFTER_READY_MS) {
      onReleased({ ...release(), afterReadyMs, lastWindowMessages: messages, why, waited: waited(why, afterReadyMs, messages) });
      return;
    }
    timer = setTimeout(check, RELEASE_WINDOW_MS).unref();
  };
  let timer = setTimeout(check, RELEASE_WINDOW_MS).unref();
  return { cancel: () => clearTimeout(timer) };
}
