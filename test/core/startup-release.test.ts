// The start-up heap's release (src/core/startup-memory.ts) waits for a quiet enough hub: its
// pause must not fall on card reads under way (issue 16 part 2), but a building's steady
// telemetry must not keep the start-up heap for ever (review s29 #4). Timers (and Date) are
// faked; the release is counted, not run.
import { describe, it, expect, vi, afterEach } from 'vitest';
import {
  scheduleStartupRelease, RELEASE_AFTER_READY_MS, RELEASE_LATEST_MS, RELEASE_WINDOW_MS,
  type MemoryRelease, type StartupRelease,
} from '../../src/core/startup-memory.ts';

const RELEASED: MemoryRelease = { rssBeforeMiB: 2, rssAfterMiB: 1, pauseMs: 0 };

function schedule(activity?: () => number) {
  const released: StartupRelease[] = [];
  const release = vi.fn(() => RELEASED);
  const handle = scheduleStartupRelease((r) => released.push(r), { activity, release });
  return { released, release, handle };
}

/** Device messages arriving steadily at `perSecond` from now on (the fake clock's time). */
function steady(perSecond: number): { count: () => number; set: (rate: number) => void } {
  let base = 0;
  let since = Date.now();
  let rate = perSecond;
  const count = () => base + Math.floor(((Date.now() - since) * rate) / 1000);
  return { count, set: (next) => { base = count(); since = Date.now(); rate = next; } };
}

describe('start-up release', () => {
  afterEach(() => { vi.useRealTimers(); });

  it('runs once, RELEASE_AFTER_READY_MS after ready, on an idle hub', () => {
    vi.useFakeTimers();
    const { released, release } = schedule(() => 0);
    vi.advanceTimersByTime(RELEASE_AFTER_READY_MS - 1);
    expect(release).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(released).toEqual([expect.objectContaining({ ...RELEASED, afterReadyMs: RELEASE_AFTER_READY_MS, lastWindowMessages: 0, why: 'quiet' })]);
    vi.advanceTimersByTime(10 * RELEASE_AFTER_READY_MS);
    expect(release).toHaveBeenCalledTimes(1);
  });

  it('runs with steady telemetry of 5 messages a second, at the earliest', () => {
    vi.useFakeTimers();
    const { released } = schedule(steady(5).count);
    vi.advanceTimersByTime(RELEASE_AFTER_READY_MS);
    expect(released).toEqual([expect.objectContaining({ afterReadyMs: RELEASE_AFTER_READY_MS, lastWindowMessages: 5, why: 'quiet' })]);
    expect(released[0]?.waited).toMatch(/5 s after ready, in a second with 5 device messages/);
  });

  it('waits while the hub is busy, and runs in the first quieter second', () => {
    vi.useFakeTimers();
    const traffic = steady(1_000);
    const { released, release } = schedule(traffic.count);
    vi.advanceTimersByTime(60_000);
    expect(release).not.toHaveBeenCalled();
    traffic.set(3);
    vi.advanceTimersByTime(RELEASE_WINDOW_MS);
    expect(released).toEqual([expect.objectContaining({ afterReadyMs: 61_000, lastWindowMessages: 3, why: 'quiet' })]);
  });

  it('runs at RELEASE_LATEST_MS under 1 000 messages a second, not before, and says why it waited', () => {
    vi.useFakeTimers();
    const { released, release } = schedule(steady(1_000).count);
    vi.advanceTimersByTime(RELEASE_LATEST_MS - 1);
    expect(release).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(released).toEqual([expect.objectContaining({ afterReadyMs: RELEASE_LATEST_MS, lastWindowMessages: 1_000, why: 'latest' })]);
    expect(released[0]?.waited).toMatch(/600 s after ready, the latest: no second had at most 5 device messages \(the last: 1000\)/);
    vi.advanceTimersByTime(RELEASE_LATEST_MS);
    expect(release).toHaveBeenCalledTimes(1);
  });

  it('never runs once cancelled', () => {
    vi.useFakeTimers();
    const { release, handle } = schedule(() => 0);
    handle.cancel();
    vi.advanceTimersByTime(10 * RELEASE_AFTER_READY_MS);
    expect(release).not.toHaveBeenCalled();
  });
});
