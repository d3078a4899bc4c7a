// The start-up heap's release (src/core/startup-memory.ts) waits for a quiet hub: its
// pause must not fall on card reads under way (issue 16 part 2). Timers are faked; the
// release is counted, not run.
import { describe, it, expect, vi, afterEach } from 'vitest';
import { scheduleStartupRelease, RELEASE_AFTER_READY_MS, RELEASE_QUIET_MS, type MemoryRelease } from '../../src/core/startup-memory.ts';

const RELEASED: MemoryRelease = { rssBeforeMiB: 2, rssAfterMiB: 1, pauseMs: 0 };

function schedule(activity?: () => number) {
  const released: MemoryRelease[] = [];
  const release = vi.fn(() => RELEASED);
  const handle = scheduleStartupRelease((r) => released.push(r), { activity, release });
  return { released, release, handle };
}

describe('start-up release', () => {
  afterEach(() => { vi.useRealTimers(); });

  it('runs once, RELEASE_AFTER_READY_MS after ready, when nothing happened since', () => {
    vi.useFakeTimers();
    const { released, release } = schedule(() => 0);
    vi.advanceTimersByTime(RELEASE_AFTER_READY_MS - 1);
    expect(release).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(released).toEqual([RELEASED]);
    vi.advanceTimersByTime(10 * RELEASE_AFTER_READY_MS);
    expect(release).toHaveBeenCalledTimes(1);
  });

  it('waits while the hub routes messages, and runs after the first quiet spell', () => {
    vi.useFakeTimers();
    let messages = 0;
    const { released, release } = schedule(() => messages);
    const busyMs = RELEASE_AFTER_READY_MS + 20 * RELEASE_QUIET_MS;
    // A read every 100 ms for well past the earliest release.
    for (let t = 0; t < busyMs; t += 100) {
      messages++;
      vi.advanceTimersByTime(100);
    }
    expect(release).not.toHaveBeenCalled();
    vi.advanceTimersByTime(2 * RELEASE_QUIET_MS);
    expect(released).toEqual([RELEASED]);
    messages++;
    vi.advanceTimersByTime(10 * RELEASE_QUIET_MS);
    expect(release).toHaveBeenCalledTimes(1);
  });

  it('counts messages before the earliest release as activity', () => {
    vi.useFakeTimers();
    let messages = 0;
    const { release } = schedule(() => messages);
    vi.advanceTimersByTime(RELEASE_AFTER_READY_MS - 1);
    messages++;
    vi.advanceTimersByTime(1);
    expect(release).not.toHaveBeenCalled();
    vi.advanceTimersByTime(RELEASE_QUIET_MS);
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
